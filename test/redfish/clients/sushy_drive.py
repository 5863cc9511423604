"""Drives one pxevirt BMC with sushy (the library Ironic uses) and prints what it saw as JSON.

Usage: sushy_drive.py URL USER PASSWORD CA_FILE STEP...
Steps: state, boot:TARGET:ENABLED, reset:TYPE, wait:STATE[:SECONDS] (on/off, default 60 s), nics, allowed,
media (the system's manager's virtual CD), insert:URL, eject, firmware (Bios attributes and SecureBoot).
Every step appends {"step", ...} to the output list; an exception fails the run (exit 1).
"""
import json
import sys
import time

import sushy

def main():
    url, user, password, ca_file, *steps = sys.argv[1:]
    root = sushy.Sushy(url, username=user, password=password, verify=ca_file)
    members = root.get_system_collection().get_members()
    system = members[0]
    out = [{"step": "systems", "ids": [m.identity for m in members], "name": system.name}]
    for step in steps:
        kind, _, arg = step.partition(":")
        system.refresh()
        if kind == "state":
            boot = system.boot
            out.append({"step": step, "power": system.power_state.value if system.power_state else None,
                        "target": boot.target.value if boot.target else None,
                        "enabled": boot.enabled.value if boot.enabled else None,
                        "mode": boot.mode.value if boot.mode else None})
        elif kind == "boot":
            target, enabled = arg.split(":")
            system.set_system_boot_options(target=sushy.BootSource(target), enabled=sushy.BootSourceOverrideEnabled(enabled))
            out.append({"step": step})
        elif kind == "reset":
            system.reset_system(sushy.ResetType(arg))
            out.append({"step": step})
        elif kind == "wait":
            state, _, seconds = arg.partition(":")
            deadline = time.time() + float(seconds or 60)
            while system.power_state.value.lower() != state and time.time() < deadline:
                time.sleep(0.2)
                system.refresh()
            out.append({"step": step, "power": system.power_state.value})
        elif kind in ("media", "insert", "eject"):
            cd = [m for m in system.managers[0].virtual_media.get_members() if m.identity == "Cd"][0]
            if kind == "insert":
                cd.insert_media(arg)
            elif kind == "eject":
                cd.eject_media()
            cd.refresh()
            out.append({"step": step, "inserted": cd.inserted, "image": cd.image,
                        "connected_via": cd.connected_via.value if cd.connected_via else None,
                        "types": sorted(t.value for t in cd.media_types)})
        elif kind == "firmware":
            sb = system.secure_boot
            out.append({"step": step, "attributes": dict(system.bios.attributes), "secure_boot": sb.enabled,
                        "mode": sb.mode.value if sb.mode else None,
                        "current": sb.current_boot.value if sb.current_boot else None})
            sb.set_enabled(sb.enabled)  # what Ironic does when the state is already right: accepted
        elif kind == "nics":
            out.append({"step": step, "macs": sorted(n.mac_address for n in system.ethernet_interfaces.get_members())})
        elif kind == "allowed":
            out.append({"step": step, "reset": sorted(v.value for v in system.get_allowed_reset_system_values()),
                        "targets": sorted(v.value for v in system.get_allowed_system_boot_source_values())})
        else:
            raise SystemExit(f"unknown step {step!r}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
