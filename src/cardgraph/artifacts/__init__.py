"""Stored export results (PDFs, zips): metadata in MongoDB, bytes on disk or in S3."""
