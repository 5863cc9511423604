// What every Redfish route answers with: the JSON headers, the reply, the 405 check and the
// error reply (a RedfishError's Base message; anything else an InternalError).
import type { ApiRequest, ApiResponse } from '../api/http-types.ts';
import { errorBody, RedfishError } from './errors.ts';

export const VM_KEY = { group: 'kubevirt.io', resource: 'virtualmachines' };
export const VMI_KEY = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };

export const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'odata-version': '4.0', 'cache-control': 'no-store' };
export const reply = (status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({ status, headers: { ...HEADERS, ...headers }, body: body === undefined ? '' : body });

export const allow = (req: ApiRequest, ok: boolean): void => {
  if (!ok) throw new RedfishError('OperationNotAllowed', [], `${req.method} is not allowed on ${req.path}`);
};

export function failure(err: unknown): ApiResponse {
  const e = err instanceof RedfishError ? err : new RedfishError('InternalError', [], err instanceof Error ? err.message : String(err));
  const headers: Record<string, string> = e.status === 401 ? { 'www-authenticate': 'Basic realm="pxevirt Redfish"' } : e.status === 429 ? { 'retry-after': e.args[0] ?? '1' } : {};
  return reply(e.status, errorBody(e), headers);
}

