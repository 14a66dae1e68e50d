"""`portgate staff-reports ...`: gate signs with the report page's QR code, the retention purge."""
