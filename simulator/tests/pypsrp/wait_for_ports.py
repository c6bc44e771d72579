import socket, sys, time
ports = [int(p) for p in sys.argv[1:]]
deadline = time.time() + 30
for port in ports:
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline:
                sys.exit(f"mx-sim did not listen on port {port} within 30 s")
            time.sleep(0.1)
