"""SL 651 tables: control characters and sizes, function codes (Appendix B), station classes (Appendix A), the
elements of Table C.1 and the 45H status bits.
"""

from __future__ import annotations

PROTOCOL = "sl651"

SOH, STX, ETX, EOT, ENQ, ACK, NAK, SYN, ETB, ESC = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x15, 0x16, 0x17, 0x1B
END_CHARS = frozenset({ETX, ETB, ENQ, ACK, NAK, EOT, ESC})
END_NAMES = {ETX: "ETX", ETB: "ETB", ENQ: "ENQ", ACK: "ACK", NAK: "NAK", EOT: "EOT", ESC: "ESC"}
HEADER_LEN = 14  # 7E7E + 11 header bytes + STX/SYN
OVERHEAD = 17  # header + end character + CRC
MAX_BODY = 0x0FFF
MAX_FRAME = MAX_BODY + OVERHEAD

# Appendix B (domain.md §3.3 "Function codes").
FUNCTIONS: dict[int, str] = {
    0x2F: "link keep-alive",
    0x30: "test report",
    0x31: "equal-interval hydrological report",
    0x32: "timed report",
    0x33: "additional report",
    0x34: "hourly report",
    0x35: "manual entry",
    0x36: "image",
    0x37: "query real-time data",
    0x38: "query period data",
    0x39: "query manual entries",
    0x3A: "query specified elements",
    0x40: "write basic configuration",
    0x41: "read basic configuration",
    0x42: "write run parameters",
    0x43: "read run parameters",
    0x44: "pump-motor real-time data",
    0x45: "software version",
    0x46: "status and alarm",
    0x47: "initialise storage",
    0x48: "factory reset",
    0x49: "change password",
    0x4A: "set clock",
    0x4B: "IC-card state",
    0x4C: "pump control",
    0x4D: "valve control",
    0x4E: "gate control",
    0x4F: "set-volume control",
    0x50: "event log",
    0x51: "query clock",
}
# 00–2E, 3B–3F and 52–DF are reserved (refused); E0–FF are user-defined (accepted, body kept raw).
KNOWN_FUNCTIONS = frozenset(FUNCTIONS) | frozenset(range(0xE0, 0x100))
# Uplink bodies laid out as serial, send time, F1F1 station, class, F0F0 time, element groups.
ELEMENT_FUNCTIONS = frozenset({0x30, 0x32, 0x33, 0x34, 0x37, 0x38, 0x3A, 0x44, 0x46})
# Reports a station sends on its own and the centre confirms in M2 (domain.md §3.3 "Link modes").
REPORT_FUNCTIONS = frozenset({0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36})
KEEPALIVE = 0x2F

# Appendix A (domain.md §3.3 "Station class codes").
STATION_CLASSES: dict[int, str] = {
    0x50: "rainfall",
    0x48: "river",
    0x4B: "reservoir/lake",
    0x5A: "sluice/dam",
    0x44: "pumping station",
    0x54: "tidal",
    0x4D: "soil moisture",
    0x47: "groundwater",
    0x51: "water quality",
    0x49: "intake",
    0x4F: "outfall",
}

# Table C.1 entries domain.md lists: id → (name, unit).
ELEMENTS: dict[int, tuple[str, str]] = {
    0x04: ("time step (DRxnn)", "min"),
    0x05: ("period length (DT)", "h"),
    0x1A: ("1-hour rainfall", "mm"),
    0x1B: ("2-hour rainfall", "mm"),
    0x1C: ("3-hour rainfall", "mm"),
    0x1D: ("6-hour rainfall", "mm"),
    0x1E: ("12-hour rainfall", "mm"),
    0x1F: ("daily rainfall", "mm"),
    0x20: ("current rainfall", "mm"),
    0x26: ("rainfall accumulated", "mm"),
    0x27: ("instantaneous flow", "m3/s"),
    **{0x28 + i: (f"intake/outfall flow {i + 1}", "m3/s") for i in range(8)},
    0x30: ("total outflow", "m3/s"),
    0x31: ("device flow", "m3/s"),
    0x36: ("mean velocity", "m/s"),
    0x37: ("current velocity", "m/s"),
    0x38: ("supply voltage", "V"),
    0x39: ("instantaneous river level", "m"),
    0x3A: ("downstream level", "m"),
    0x3B: ("upstream level", "m"),
    **{0x3C + i: (f"intake/outfall level {i + 1}", "m") for i in range(8)},
    0x45: ("station status and alarm", ""),
    0x46: ("pH", ""),
    0x47: ("dissolved oxygen", "mg/L"),
    0x48: ("conductivity", "uS/cm"),
    0x49: ("turbidity", "NTU"),
    0x4A: ("CODMn", "mg/L"),
    0x4C: ("ammonia nitrogen", "mg/L"),
    0x4D: ("total phosphorus", "mg/L"),
    0x4E: ("total nitrogen", "mg/L"),
    **{0x60 + i: (f"water meter {i + 1} remaining volume", "m3") for i in range(8)},
    **{0x68 + i: (f"water meter {i + 1} hourly volume", "m3/h") for i in range(8)},
    0x70: ("AC voltage phase A", "V"),
    0x71: ("AC voltage phase B", "V"),
    0x72: ("AC voltage phase C", "V"),
    0x73: ("AC current phase A", "A"),
    0x74: ("AC current phase B", "A"),
    0x75: ("AC current phase C", "A"),
    0xF4: ("5-minute rainfall ×12", "mm"),
    **{0xF5 + i: (f"5-minute relative level ×12, series {i + 1}", "m") for i in range(8)},
}
STATUS_ELEMENT = 0x45
RAIN_ARRAY = 0xF4
LEVEL_ARRAYS = frozenset(range(0xF5, 0xFD))

# 45H / Table 58 bit meanings (domain.md §3.3). Bits 7 and 10 read "1 = closed" / "1 = stopped".
STATUS_BITS: dict[int, str] = {
    0: "ac_power_outage",
    1: "battery_low",
    2: "level_alarm",
    3: "flow_alarm",
    4: "quality_alarm",
    5: "flow_meter_fault",
    6: "level_meter_fault",
    7: "cabinet_door_closed",
    8: "memory_fault",
    9: "ic_card_active",
    10: "pump_stopped",
    11: "remaining_volume_over_limit",
}
