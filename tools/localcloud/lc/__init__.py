"""localcloud: a small real OpenStack (Keystone, Heat, Senlin, Ironic) on 127.0.0.1.

The modules of this package run with the machine's python3 and the standard library
only.  Code that needs the OpenStack libraries lives in ``lc.runtime`` and runs inside
the venvs the tool creates.
"""
