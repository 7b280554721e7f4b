"""Sensors of the airkit package."""
