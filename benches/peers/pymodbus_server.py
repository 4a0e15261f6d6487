"""The peer server for benches/live_load.rs: pymodbus's TCP server answering FC03/FC04 from
memory, on 127.0.0.1:PORT. Prints "ready" when it listens."""

import sys
import threading
import time

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartTcpServer

port = int(sys.argv[1])
# Protocol address 0 is block address 1 in pymodbus 3.x.
store = ModbusDeviceContext(hr=ModbusSequentialDataBlock(1, list(range(200))), ir=ModbusSequentialDataBlock(1, list(range(200))))
context = ModbusServerContext(devices=store, single=True)


def announce():
    import socket

    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            print("ready", flush=True)
            return
        except OSError:
            time.sleep(0.05)


threading.Thread(target=announce, daemon=True).start()
StartTcpServer(context=context, address=("127.0.0.1", port))
