"""A stateful Razorpay API simulator for tests and local runs (see README.md)."""

from .server import Simulator

__all__ = ["Simulator"]
