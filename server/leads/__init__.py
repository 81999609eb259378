"""Leads as the rest of the product sees them: who may see which, and their JSON form."""
