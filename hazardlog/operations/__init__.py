"""What a trust needs to run the service: a health check, request logs, an integrity check of the
clinical risk management file, and backups. Management commands in hazardlog/management/commands/ call in here."""
