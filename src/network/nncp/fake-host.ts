// An in-memory NetworkHost for tests: interprets the command lines stepCommand() produces,
// refuses what a kernel would (missing devices, VLAN features when told to), and can be made
// to fail chosen commands or lose the gateway.
import { HostCommandError, type NetworkHost } from './apply.ts';
import type { HostState, LinkState } from './types.ts';

export interface FakeHostOptions {
  /** Whether the kernel has bridge vlan_filtering and 802.1Q (default false, like this machine). */
  vlan?: boolean;
  /** Makes a command fail with this stderr (return undefined to let it run). */
  fail?: (argv: string[]) => string | undefined;
  /** Whether the gateway answers, given the current state (default: when a default route exists). */
  gatewayAnswers?: (state: HostState) => boolean;
}

export interface FakeHost extends NetworkHost {
  state: HostState;
  /** Every command run, in order. */
  commands: string[][];
}

const parseCidr = (cidr: string): { ip: string; prefix: number } => {
  const [ip = '', prefix = '32'] = cidr.split('/');
  return { ip, prefix: Number(prefix) };
};

/** A fake host starting from `state` (copied). */
export function createFakeHost(initial: HostState, options: FakeHostOptions = {}): FakeHost {
  const host: FakeHost = {
    state: structuredClone(initial),
    commands: [],
    read: async () => structuredClone(host.state),
    ping: async () => (options.gatewayAnswers ?? ((s) => s.defaultRoute !== undefined))(host.state),
    run: async (argv) => {
      host.commands.push(argv);
      const refuse = (stderr: string): never => {
        throw new HostCommandError(argv, stderr);
      };
      const injected = options.fail?.(argv);
      if (injected !== undefined) refuse(injected);
      const links = host.state.links;
      const find = (name: string | undefined): LinkState => links.find((l) => l.name === name) ?? refuse(`Cannot find device "${name}"`);
      const [cmd, obj, verb, ...args] = argv;
      // Like the real commands.ts must: every name after `dev` (or `name` when creating).
      const keyword = verb === 'add' ? (args[0] === 'link' ? 'link' : 'name') : 'dev';
      if (cmd === 'ip' && obj === 'link' && args[0] !== keyword) refuse(`fake host: expected \`${keyword}\` before the interface name, found ${argv.join(' ')}`);
      const rest = cmd === 'ip' && obj === 'link' && keyword !== 'link' ? args.slice(1) : args;
      if (cmd === 'bridge') {
        if (!options.vlan) refuse('RTNETLINK answers: Operation not supported');
        find(rest[1]);
        return;
      }
      if (obj === 'addr') {
        const cidr = parseCidr(rest[0] ?? '');
        const link = find(rest[2]);
        if (verb === 'add') {
          if (link.addresses.some((a) => a.ip === cidr.ip && a.prefix === cidr.prefix)) refuse('RTNETLINK answers: File exists');
          link.addresses.push(cidr);
        } else {
          const before = link.addresses.length;
          link.addresses = link.addresses.filter((a) => !(a.ip === cidr.ip && a.prefix === cidr.prefix));
          if (link.addresses.length === before) refuse('RTNETLINK answers: Cannot assign requested address');
        }
        return;
      }
      if (verb === 'add') {
        if (rest[0] === 'link') {
          if (!options.vlan) refuse('Error: Unknown device type.');
          find(rest[1]);
          links.push({ name: rest[3] ?? '', kind: 'vlan', mtu: 1500, up: false, addresses: [] });
          return;
        }
        if (links.some((l) => l.name === rest[0])) refuse('RTNETLINK answers: File exists');
        links.push({ name: rest[0] ?? '', kind: 'bridge', mtu: 1500, up: false, addresses: [], stp: rest[4] === '1', vlanFiltering: false, mac: '02:00:00:00:00:01' });
        return;
      }
      if (verb === 'del') {
        find(rest[0]);
        host.state.links = links.filter((l) => l.name !== rest[0]).map((l) => (l.master === rest[0] ? (({ master: _m, ...x }) => x)(l) : l));
        return;
      }
      const link = find(rest[0]);
      const [what, value] = [rest[1], rest[2]];
      if (what === 'master') {
        const master = find(value);
        if (master.kind !== 'bridge') refuse('RTNETLINK answers: Operation not supported');
        link.master = master.name;
      } else if (what === 'nomaster') delete link.master;
      else if (what === 'mtu') link.mtu = Number(value);
      else if (what === 'address') link.mac = value ?? '';
      else if (what === 'up') link.up = true;
      else if (what === 'down') link.up = false;
      else if (what === 'type' && rest[3] === 'stp_state') link.stp = rest[4] === '1';
      else if (what === 'type' && rest[3] === 'vlan_filtering') {
        if (!options.vlan && rest[4] === '1') refuse('RTNETLINK answers: Operation not supported');
        link.vlanFiltering = rest[4] === '1';
      } else refuse(`fake host: unknown command ${argv.join(' ')}`);
      if (host.state.defaultRoute?.dev === link.name && !link.up) delete host.state.defaultRoute;
    },
  };
  return host;
}
