"""mock-em: a faithful, deterministic test double of Veeam Backup Enterprise Manager's REST API."""

__version__ = "0.1.0"
