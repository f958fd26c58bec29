"""Billing: parties, invoices and credit notes, supplier bills, open items.

Pure rules: tax codes in data (``tax_codes``, ``tax_data``), invoice
arithmetic (``invoice_math``), gap-free numbering values (``numbering``),
allocation to open items (``allocation``, ``open_items``), aging and dunning
(``aging``), posting rules (``documents``) and invariant checks (``checks``).
Aggregates, one per module: ``party``, ``number_series``, ``invoice``,
``credit_note``, ``bill``, ``remittance``. Commands: ``service.Billing``
(parties and checks) over ``invoicing``, ``purchasing`` and ``matching``.
"""
