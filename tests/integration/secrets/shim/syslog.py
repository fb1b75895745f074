"""A stand-in for the syslog module, first on the module process's PYTHONPATH in test_secrets.py.

AnsibleModule logs "Invoked with <arguments>" through syslog (journald when python-systemd is installed, which
the test's interpreter lacks); this writes every message to the file named by SECRET_SCAN_SYSLOG instead, so the
secret scanner can read what a managed host's log would hold.
"""

import os

LOG_EMERG, LOG_ALERT, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG = range(8)
(LOG_KERN, LOG_USER, LOG_MAIL, LOG_DAEMON, LOG_AUTH, LOG_SYSLOG, LOG_LPR, LOG_NEWS, LOG_UUCP, LOG_CRON,
 LOG_AUTHPRIV, LOG_FTP) = [n << 3 for n in range(12)]
(LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6,
 LOG_LOCAL7) = [n << 3 for n in range(16, 24)]
LOG_PID, LOG_CONS, LOG_NDELAY, LOG_ODELAY, LOG_NOWAIT, LOG_PERROR = 1, 2, 8, 4, 16, 32

_ident = ['python']


def openlog(ident='python', logoption=0, facility=LOG_USER):
    _ident[0] = ident


def closelog():
    pass


def setlogmask(mask):
    return 0xff


def LOG_MASK(pri):
    return 1 << pri


def LOG_UPTO(pri):
    return (1 << (pri + 1)) - 1


def syslog(*args):
    message = args[-1]
    path = os.environ.get('SECRET_SCAN_SYSLOG')
    if path:
        with open(path, 'a', encoding='utf-8') as log:
            log.write('%s[%d]: %s\n' % (_ident[0], os.getpid(), message))
