def serve() -> None:
    raise SystemExit("serve: not built yet")
