"""The official Python client (Debian's python3-kubernetes) against pxevirt.

Usage: python3 python_client.py KUBECONFIG SCENARIO
Prints one JSON line per step to stdout; exits non-zero with the failure on stderr.
"""
import json
import sys
import threading

from kubernetes import client, config, watch

KINDS = {
    'vmi': ('kubevirt.io', 'v1', 'virtualmachineinstances', {
        'apiVersion': 'kubevirt.io/v1', 'kind': 'VirtualMachineInstance',
        'spec': {'domain': {'devices': {}, 'resources': {'requests': {'memory': '64Mi'}}}},
    }),
    'vm': ('kubevirt.io', 'v1', 'virtualmachines', {
        'apiVersion': 'kubevirt.io/v1', 'kind': 'VirtualMachine',
        'spec': {'runStrategy': 'Halted', 'template': {'spec': {'domain': {'devices': {}, 'resources': {'requests': {'memory': '64Mi'}}}}}},
    }),
    'nad': ('k8s.cni.cncf.io', 'v1', 'network-attachment-definitions', {
        'apiVersion': 'k8s.cni.cncf.io/v1', 'kind': 'NetworkAttachmentDefinition',
        'spec': {'config': '{"cniVersion":"0.3.1","name":"br1-net","type":"bridge","bridge":"br1","ipam":{}}'},
    }),
    'pxeserver': ('pxe.pxevirt.io', 'v1alpha1', 'pxeservers', {
        'apiVersion': 'pxe.pxevirt.io/v1alpha1', 'kind': 'PXEServer',
        'spec': {'network': 'br1-net', 'address': '192.168.100.1/24',
                 'dhcp': {'mode': 'server', 'range': '192.168.100.100-192.168.100.150'}, 'root': 'images'},
    }),
}
NS = 'default'


def out(step, **facts):
    print(json.dumps({'step': step, **facts}), flush=True)


def watch_names(api, group, version, plural, resource_version, want, **extra):
    """Watches from resource_version in a thread; returns (thread, events list)."""
    events = []
    w = watch.Watch()

    def run():
        for e in w.stream(api.list_namespaced_custom_object, group, version, NS, plural,
                          resource_version=resource_version, **extra):
            meta = e['raw_object'].get('metadata', {})
            events.append({'type': e['type'], 'name': meta.get('name'), 'rv': meta.get('resourceVersion'),
                           'labels': meta.get('labels', {}), 'annotations': meta.get('annotations', {})})
            if want(events):
                w.stop()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, events


def crud(api, kind):
    group, version, plural, template = KINDS[kind]
    name = f'py-{kind}'
    body = json.loads(json.dumps(template))
    body['metadata'] = {'name': name, 'labels': {'made-by': 'python'}}
    listed = api.list_namespaced_custom_object(group, version, NS, plural)
    rv = listed['metadata']['resourceVersion']
    done = lambda evs: any(e['type'] == 'DELETED' for e in evs)
    t, events = watch_names(api, group, version, plural, rv, done, allow_watch_bookmarks=True, timeout_seconds=30)
    created = api.create_namespaced_custom_object(group, version, NS, plural, body)
    got = api.get_namespaced_custom_object(group, version, NS, plural, name)
    merged = api.patch_namespaced_custom_object(group, version, NS, plural, name, {'metadata': {'labels': {'merge': 'yes'}}})
    # JSON patch: the generated client only speaks merge patch for custom objects, so set the header.
    patched = api.api_client.call_api(
        f'/apis/{group}/{version}/namespaces/{NS}/{plural}/{name}', 'PATCH',
        header_params={'Content-Type': 'application/json-patch+json', 'Accept': 'application/json'},
        body=[{'op': 'add', 'path': '/metadata/labels/json', 'value': 'yes'}],
        response_type='object', auth_settings=['BearerToken'], _return_http_data_only=True)
    listed = api.list_namespaced_custom_object(group, version, NS, plural, label_selector='made-by=python')
    api.delete_namespaced_custom_object(group, version, NS, plural, name)
    t.join(30)
    out('crud', kind=kind, created=created['metadata']['name'], got=got['metadata']['uid'] == created['metadata']['uid'],
        merged=merged['metadata']['labels'], patched=patched['metadata']['labels'],
        listed=[i['metadata']['name'] for i in listed['items']],
        events=[[e['type'], e['name']] for e in events if e['type'] != 'BOOKMARK'])


def bookmarks(api):
    group, version, plural, _ = KINDS['nad']
    listed = api.list_namespaced_custom_object(group, version, NS, plural)
    rv = listed['metadata']['resourceVersion']
    t, events = watch_names(api, group, version, plural, rv, lambda evs: any(e['type'] == 'BOOKMARK' for e in evs),
                            allow_watch_bookmarks=True, timeout_seconds=2)
    t.join(30)
    out('bookmarks', events=events)


def main():
    config.load_kube_config(config_file=sys.argv[1])
    api = client.CustomObjectsApi()
    scenario = sys.argv[2]
    if scenario == 'crud':
        for kind in KINDS:
            crud(api, kind)
    elif scenario == 'bookmarks':
        bookmarks(api)
    else:
        raise SystemExit(f'unknown scenario {scenario!r}: expected crud or bookmarks')


main()
