"""Asterisk adapters: AMI client (``ami``), call tracker (``tracker``), FastAGI server (``agi``) and the
bundled development/test PBX (``pbx``). Nothing here imports other packages of ours except ``config``."""
