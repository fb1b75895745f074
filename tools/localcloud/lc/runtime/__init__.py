"""Code that runs inside the service venvs (imports the OpenStack libraries).

Started as `python -m lc.runtime.<module>` with tools/localcloud on PYTHONPATH.  Settings
come from the command line and from LC_* environment variables set by the tool.
"""
