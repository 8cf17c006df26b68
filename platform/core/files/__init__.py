"""Uploaded files (photos, scans, spreadsheets): checked by content, stored on disk, recorded."""
