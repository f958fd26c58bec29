"""Billing: the pure rules behind invoices, credit notes, tax codes, allocation and aging.

Nothing here touches storage or HTTP. The modules compute values that the
billing commands (a later layer) decide on and record as events: tax codes in
data (``tax_codes``, ``tax_data``), invoice arithmetic (``invoice_math``),
gap-free numbering (``numbering``), allocation of receipts and payments to open
items (``allocation``) and aging with dunning levels (``aging``).
"""
