#!/bin/sh
# The BMC sequence with plain curl, for readers (issue 16's Must-show 1 as requests): sign in (a
# session), list the systems, set a one-time PXE boot, power on, read the state, power off, boot
# from disk for good, insert an ISO as virtual media, boot the CD once, power on, eject, refuse a
# bad media URL, sign out. Usage: curl-sequence.sh URL USER PASSWORD CA_FILE ISO_URL
# Prints one line per step ("STEP HTTP-STATUS [value]"); exits non-zero on the first unexpected status.
set -eu
url=$1 user=$2 password=$3 ca=$4 iso=$5
headers=$(mktemp) body=$(mktemp)
trap 'rm -f "$headers" "$body"' EXIT
call() { # METHOD PATH [JSON] → sets $status, body in $body, headers in $headers
  if [ $# -ge 3 ]; then
    status=$(curl -sS --cacert "$ca" -X "$1" -H "X-Auth-Token: ${token:-}" -H 'Content-Type: application/json' -d "$3" -D "$headers" -o "$body" -w '%{http_code}' "$url$2")
  else
    status=$(curl -sS --cacert "$ca" -X "$1" -H "X-Auth-Token: ${token:-}" -D "$headers" -o "$body" -w '%{http_code}' "$url$2")
  fi
}
expect() { [ "$status" = "$1" ] || { echo "$2: expected HTTP $1, found $status: $(cat "$body")" >&2; exit 1; }; }
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$body" "$1"; }

call GET /redfish/v1/; expect 200 root; echo "root $status $(field "['RedfishVersion']")"
call POST /redfish/v1/SessionService/Sessions "{\"UserName\":\"$user\",\"Password\":\"$password\"}"; expect 201 session
token=$(tr -d '\r' < "$headers" | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
session=$(tr -d '\r' < "$headers" | sed -n 's/^[Ll]ocation: //p')
echo "session $status $session"
call GET /redfish/v1/Systems; expect 200 systems
system=$(field "['Members'][0]['@odata.id']"); echo "systems $status $system"
call PATCH "$system" '{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}}'; expect 200 boot
echo "boot $status $(field "['Boot']['BootSourceOverrideTarget']") $(field "['Boot']['BootSourceOverrideEnabled']")"
call POST "$system/Actions/ComputerSystem.Reset" '{"ResetType":"On"}'; expect 204 reset; echo "reset $status"
call GET "$system"; expect 200 state; echo "state $status $(field "['PowerState']")"
call POST "$system/Actions/ComputerSystem.Reset" '{"ResetType":"ForceOff"}'; expect 204 off; echo "off $status"
call PATCH "$system" '{"Boot":{"BootSourceOverrideTarget":"Hdd","BootSourceOverrideEnabled":"Continuous"}}'; expect 200 hdd
echo "hdd $status $(field "['Boot']['BootSourceOverrideTarget']") $(field "['Boot']['BootSourceOverrideEnabled']")"
manager=$(field "['Links']['ManagedBy'][0]['@odata.id']")
call GET "$manager"; expect 200 manager
cd=$manager/VirtualMedia/Cd
call GET "$cd"; expect 200 media; echo "media $status $(field "['Inserted']") $(field "['ConnectedVia']")"
call POST "$cd/Actions/VirtualMedia.InsertMedia" "{\"Image\":\"$iso\"}"; expect 204 insert; echo "insert $status"
call GET "$cd"; expect 200 inserted; echo "inserted $status $(field "['Inserted']") $(field "['Image']")"
call PATCH "$system" '{"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Once"}}'; expect 200 cd
echo "cd $status $(field "['Boot']['BootSourceOverrideTarget']") $(field "['Boot']['BootSourceOverrideEnabled']")"
call POST "$system/Actions/ComputerSystem.Reset" '{"ResetType":"On"}'; expect 204 on; echo "on $status"
call POST "$cd/Actions/VirtualMedia.EjectMedia" '{}'; expect 204 eject; echo "eject $status"
call GET "$cd"; expect 200 ejected; echo "ejected $status $(field "['Inserted']")"
call POST "$cd/Actions/VirtualMedia.InsertMedia" '{"Image":"file:///etc/shadow"}'; expect 400 bad-media
echo "bad-media $status $(field "['error']['@Message.ExtendedInfo'][0]['MessageId']")"
call DELETE "$session"; expect 204 signout; echo "signout $status"
call GET /redfish/v1/Systems; expect 401 after-signout; echo "after-signout $status"
