// Where the common-instancetypes description was read: the upstream repository, commit and
// `git describe` (the bundle's version label, as upstream's scripts/generate.sh stamps it).
export const SOURCE = {
  repository: 'https://github.com/kubevirt/common-instancetypes',
  commit: '7c1e305b6d5ac7d80c45d993028dc22d257877c9',
  describe: 'v1.6.0-90-g7c1e305b',
} as const;
