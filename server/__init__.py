"""eSeller: lead management for car dealerships."""
