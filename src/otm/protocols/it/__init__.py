"""IT protocols that matter to OT risk, recognised at flow level.

Remote access (RDP, VNC, SSH, Telnet), file sharing (SMB), web (HTTP, TLS)
and the infrastructure services (DNS, NTP, DHCP) are how attackers and
integrators reach a control network.  otm does not dissect them fully: it
confirms the protocol from the first bytes of a flow (``signatures``) and
reads the few fields that identify a host (``dhcp``, ``dns``, ``ntp``,
``http`` headers, banners).  Everything here is sans-I/O and never raises.
"""

from otm.protocols.it.signatures import Verdict, classify

__all__ = ["Verdict", "classify"]
