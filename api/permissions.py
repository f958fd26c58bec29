"""Who may call a route, as ``Annotated`` aliases: one per permission of
``api.auth.PERMISSIONS``.

``<Area>Reader`` is the caller of a read (a ``Principal``); ``<Area><Verb>``
is the ``Write`` of a POST under that permission (the caller authorised, the
Idempotency-Key checked, its context made; ``api.write``). A route declares
exactly one of them; the role matrix (tests/api/test_roles.py) checks which.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.auth import Principal
from api.dependencies import authorize, authorize_write
from api.write import Write

# --- reads ---------------------------------------------------------------------------
LedgerReader = Annotated[Principal, Depends(authorize("ledger:read"))]
TokensReader = Annotated[Principal, Depends(authorize("tokens:read"))]
AuditReader = Annotated[Principal, Depends(authorize("audit:read"))]
SettlementsReader = Annotated[Principal, Depends(authorize("settlements:read"))]
SubjectsReader = Annotated[Principal, Depends(authorize("subjects:read"))]
SanctionsReader = Annotated[Principal, Depends(authorize("sanctions:read"))]
BankReader = Annotated[Principal, Depends(authorize("bank:read"))]
PaymentsReader = Annotated[Principal, Depends(authorize("payments:read"))]
ReceiptsReader = Annotated[Principal, Depends(authorize("receipts:read"))]
ReportsReader = Annotated[Principal, Depends(authorize("reports:read"))]
InventoryReader = Annotated[Principal, Depends(authorize("inventory:read"))]
PayrollReader = Annotated[Principal, Depends(authorize("payroll:read"))]
PayrollCalculator = Annotated[Principal, Depends(authorize("payroll:calculate"))]
BillingReader = Annotated[Principal, Depends(authorize("billing:read"))]

# --- writes --------------------------------------------------------------------------
AssetsWrite = Annotated[Write, Depends(authorize_write("assets:write"))]
AccountsWrite = Annotated[Write, Depends(authorize_write("accounts:write"))]
PeriodsWrite = Annotated[Write, Depends(authorize_write("periods:write"))]
TokensWrite = Annotated[Write, Depends(authorize_write("tokens:write"))]
EntriesPost = Annotated[Write, Depends(authorize_write("entries:post"))]
EntriesApprove = Annotated[Write, Depends(authorize_write("entries:approve"))]
EntriesReverse = Annotated[Write, Depends(authorize_write("entries:reverse"))]
SettlementsWrite = Annotated[Write, Depends(authorize_write("settlements:write"))]
SettlementsApprove = Annotated[Write, Depends(authorize_write("settlements:approve"))]
SubjectsWrite = Annotated[Write, Depends(authorize_write("subjects:write"))]
SubjectsHold = Annotated[Write, Depends(authorize_write("subjects:hold"))]
SubjectsErase = Annotated[Write, Depends(authorize_write("subjects:erase"))]
SanctionsLoad = Annotated[Write, Depends(authorize_write("sanctions:load"))]
SanctionsScreen = Annotated[Write, Depends(authorize_write("sanctions:screen"))]
SanctionsDecide = Annotated[Write, Depends(authorize_write("sanctions:decide"))]
BankWrite = Annotated[Write, Depends(authorize_write("bank:write"))]
BankMatch = Annotated[Write, Depends(authorize_write("bank:match"))]
PaymentsRequest = Annotated[Write, Depends(authorize_write("payments:request"))]
PaymentsApprove = Annotated[Write, Depends(authorize_write("payments:approve"))]
PaymentsOperate = Annotated[Write, Depends(authorize_write("payments:operate"))]
PaymentsCancel = Annotated[Write, Depends(authorize_write("payments:cancel"))]
ReceiptsWrite = Annotated[Write, Depends(authorize_write("receipts:write"))]
ReportsFile = Annotated[Write, Depends(authorize_write("reports:file"))]
InventoryWrite = Annotated[Write, Depends(authorize_write("inventory:write"))]
PayrollWrite = Annotated[Write, Depends(authorize_write("payroll:write"))]
PayrollApprove = Annotated[Write, Depends(authorize_write("payroll:approve"))]
PayrollPay = Annotated[Write, Depends(authorize_write("payroll:pay"))]
BillingWrite = Annotated[Write, Depends(authorize_write("billing:write"))]
BillingAllocate = Annotated[Write, Depends(authorize_write("billing:allocate"))]
BillingApprove = Annotated[Write, Depends(authorize_write("billing:approve"))]
