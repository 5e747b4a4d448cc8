"""Monitoring: polling process values (tags) and device health from controllers.

Drivers over maintained client libraries behind one interface; the poller
yields ``TagSample`` and ``DeviceHealth`` observations.
"""
