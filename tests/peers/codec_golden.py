"""Golden Modbus frames from independent encoders, for faultline's codec tests.

umodbus builds whole request ADUs for the function codes it has (01-06, 0F, 10);
pymodbus encodes the PDUs of the rest (08, 11, 17, 2B/0E) and responses. The Rust test
tests/integration/golden.rs encodes the same requests with faultline's codec and compares
byte for byte; tests/peers/test_codec_golden.py checks that this file still reproduces
tests/data/codec-golden.json.

    python3 tests/peers/codec_golden.py > tests/data/codec-golden.json
"""

import json
import random
import sys

import umodbus.client.tcp as um
from pymodbus.pdu import bit_message as bm
from pymodbus.pdu import diag_message as dm
from pymodbus.pdu import mei_message as mm
from pymodbus.pdu import other_message as om
from pymodbus.pdu import register_message as rm


def adu(tid, unit, pdu):
    return (tid.to_bytes(2, "big") + b"\x00\x00" + (len(pdu) + 1).to_bytes(2, "big") + bytes([unit]) + pdu).hex()


def umodbus_adu(message):
    """umodbus picks a random transaction id: keep it, the test reuses it."""
    return message.hex()


def pymodbus_pdu(req):
    return bytes([req.function_code]) + req.encode()


# umodbus draws transaction ids from `random`: seeded, the file is reproducible.
random.seed(502)
vectors = []


def request(spec, frame, source):
    vectors.append({"kind": "request", "spec": spec, "adu": frame, "source": source})


def response(spec, frame, source):
    vectors.append({"kind": "response", "spec": spec, "adu": frame, "source": source})


# umodbus: whole ADUs.
request({"ReadCoils": [0, 8]}, umodbus_adu(um.read_coils(1, 0, 8)), "umodbus")
request({"ReadCoils": [19, 19]}, umodbus_adu(um.read_coils(17, 19, 19)), "umodbus")
request({"ReadDiscreteInputs": [196, 22]}, umodbus_adu(um.read_discrete_inputs(1, 196, 22)), "umodbus")
request({"ReadHoldingRegisters": [107, 3]}, umodbus_adu(um.read_holding_registers(17, 107, 3)), "umodbus")
request({"ReadInputRegisters": [8, 1]}, umodbus_adu(um.read_input_registers(1, 8, 1)), "umodbus")
request({"ReadInputRegisters": [100, 17]}, umodbus_adu(um.read_input_registers(1, 100, 17)), "umodbus")
request({"WriteSingleCoil": [172, True]}, umodbus_adu(um.write_single_coil(1, 172, 1)), "umodbus")
request({"WriteSingleCoil": [0, False]}, umodbus_adu(um.write_single_coil(1, 0, 0)), "umodbus")
request({"WriteSingleRegister": [1, 3]}, umodbus_adu(um.write_single_register(1, 1, 3)), "umodbus")
request({"WriteSingleRegister": [2, 655]}, umodbus_adu(um.write_single_register(1, 2, 655)), "umodbus")
request(
    {"WriteMultipleCoils": [19, [True, False, True, True, False, False, True, True, True, False]]},
    umodbus_adu(um.write_multiple_coils(1, 19, [1, 0, 1, 1, 0, 0, 1, 1, 1, 0])),
    "umodbus",
)
request({"WriteMultipleRegisters": [1, [10, 258]]}, umodbus_adu(um.write_multiple_registers(1, 1, [10, 258])), "umodbus")
request({"WriteMultipleRegisters": [0, [95, 2]]}, umodbus_adu(um.write_multiple_registers(1, 0, [95, 2])), "umodbus")

# pymodbus: PDUs of the function codes umodbus does not have, in an ADU with tid 1, unit 1.
request({"Diagnostics": [0, "a537"]}, adu(1, 1, pymodbus_pdu(dm.ReturnQueryDataRequest(message=[0xA537]))), "pymodbus")
request({"Diagnostics": [4, "0000"]}, adu(1, 1, pymodbus_pdu(dm.ForceListenOnlyModeRequest())), "pymodbus")
request({"Diagnostics": [1, "0000"]}, adu(1, 1, pymodbus_pdu(dm.RestartCommunicationsOptionRequest())), "pymodbus")
request({"ReportServerId": []}, adu(1, 1, pymodbus_pdu(om.ReportDeviceIdRequest())), "pymodbus")
request(
    {"ReadWriteMultipleRegisters": [1, 2, 3, [4, 5]]},
    adu(1, 1, pymodbus_pdu(rm.ReadWriteMultipleRegistersRequest(read_address=1, read_count=2, write_address=3, write_registers=[4, 5]))),
    "pymodbus",
)
request({"ReadDeviceIdentification": [1, 0]}, adu(1, 1, pymodbus_pdu(mm.ReadDeviceInformationRequest(read_code=1, object_id=0))), "pymodbus")
request({"ReadDeviceIdentification": [4, 5]}, adu(1, 1, pymodbus_pdu(mm.ReadDeviceInformationRequest(read_code=4, object_id=5))), "pymodbus")

# pymodbus: responses.
response({"ReadHoldingRegisters": [1, 2, 65535]}, adu(1, 1, pymodbus_pdu(rm.ReadHoldingRegistersResponse(registers=[1, 2, 0xFFFF]))), "pymodbus")
response({"ReadInputRegisters": [620, 0]}, adu(1, 1, pymodbus_pdu(rm.ReadInputRegistersResponse(registers=[620, 0]))), "pymodbus")
response(
    {"ReadCoils": [True, False, True, True, False, False, False, False]},
    adu(1, 1, pymodbus_pdu(bm.ReadCoilsResponse(bits=[True, False, True, True, False, False, False, False]))),
    "pymodbus",
)
response({"WriteSingleRegister": [2, 655]}, adu(1, 1, pymodbus_pdu(rm.WriteSingleRegisterResponse(address=2, registers=[655]))), "pymodbus")
response({"WriteMultipleRegisters": [0, 2]}, adu(1, 1, pymodbus_pdu(rm.WriteMultipleRegistersResponse(address=0, count=2))), "pymodbus")

sys.stdout.write("[\n" + ",\n".join(json.dumps(v) for v in vectors) + "\n]\n")
