"""What the manager's cockpit pages share: one reading of the filters, one table export.

The steering dashboard (MG2) and the lead KPIs (MG3) both filter by site, seller, kind, source
and period, and both offer their tables as CSV and XLSX downloads.
"""
