// Failures the CLI can meet talking to an API server; src/cli/errors.ts turns each into
// kubectl's wording and an exit code.

/** A Kubernetes `Status` as the server sends it for an error. */
export interface ApiStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { type?: string; field?: string; message?: string }[];
  };
}

/** The server answered with an error Status (or an error code we describe as one). */
export class ApiStatusError extends Error {
  readonly status: ApiStatus;
  readonly httpCode: number;
  constructor(status: ApiStatus, httpCode: number) {
    super(status.message ?? `the server answered ${httpCode}`);
    this.name = 'ApiStatusError';
    this.status = status;
    this.httpCode = httpCode;
  }
  /** The same error, its message prefixed the way kubectl names the file it came from. */
  withSource(verb: string, source: string): ApiStatusError {
    if (!source) return this;
    return new ApiStatusError({ ...this.status, message: `error when ${verb} "${source}": ${this.status.message ?? ''}` }, this.httpCode);
  }
}

/** No kubeconfig to read. */
export class NoKubeconfigError extends Error {
  readonly tried: readonly string[];
  constructor(tried: readonly string[]) {
    super(`no kubeconfig: run \`pxevirt up\` or set KUBECONFIG (looked at ${tried.join(', ') || 'nothing'})`);
    this.name = 'NoKubeconfigError';
    this.tried = tried;
  }
}

/** A kubeconfig that does not say what we need. */
export class KubeconfigError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`kubeconfig ${path}: ${problem}`);
    this.name = 'KubeconfigError';
    this.path = path;
  }
}

/** The server could not be reached at all. */
export class ConnectionError extends Error {
  readonly server: string;
  readonly code: string;
  constructor(server: string, code: string, cause: unknown) {
    const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    super(
      code === 'ECONNREFUSED'
        ? `The connection to the server ${host} was refused - did you specify the right host or port?`
        : `Unable to connect to the server: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'ConnectionError';
    this.server = server;
    this.code = code;
  }
}

/** A resource type name the server does not serve. */
export class UnknownResourceError extends Error {
  readonly resource: string;
  constructor(resource: string) {
    super(`the server doesn't have a resource type "${resource}"`);
    this.name = 'UnknownResourceError';
    this.resource = resource;
  }
}

/** A kind (from a manifest) the server does not serve. */
export class UnknownKindError extends Error {
  readonly apiVersion: string;
  readonly kind: string;
  constructor(apiVersion: string, kind: string, name: string, source: string) {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
    super(
      `resource mapping not found for name: "${name}" namespace: "" from "${source}": no matches for kind "${kind}" in version "${group ? `${group}/` : ''}${version}"\nensure CRDs are installed first`,
    );
    this.name = 'UnknownKindError';
    this.apiVersion = apiVersion;
    this.kind = kind;
  }
}

/** A mistake in the command line or its input (kubectl says `error: …`). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `wait` gave up. */
export class WaitTimeoutError extends Error {
  readonly target: string;
  constructor(target: string) {
    super(`timed out waiting for the condition on ${target}`);
    this.name = 'WaitTimeoutError';
    this.target = target;
  }
}

/** Several failures from one command (kubectl prints each and exits 1). */
export class ManyErrors extends Error {
  readonly errors: readonly unknown[];
  constructor(errors: readonly unknown[]) {
    super(`${errors.length} errors`);
    this.name = 'ManyErrors';
    this.errors = errors;
  }
}
