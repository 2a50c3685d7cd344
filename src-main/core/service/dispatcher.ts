// Where requests enter the core: method and argument are checked against the contract's schemas,
// and every outcome becomes an envelope. Both transports call this and nothing else.
import type { ApiCalls, Method } from '../../common/api.ts';
import { toErrorInfo, type Envelope } from '../../common/errors.ts';
import { argSchemas, isMethod } from '../../common/schemas.ts';

export type Dispatch = (method: unknown, arg: unknown) => Promise<Envelope<unknown>>;

export function createDispatcher(api: ApiCalls): Dispatch {
  return async (method, arg) => {
    if (!isMethod(method)) {
      return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `unknown call "${String(method).slice(0, 100)}"` } };
    }
    const parsed = argSchemas[method].safeParse(arg ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at "${issue.path.join('.')}"` : '';
      return { ok: false, error: { code: 'BAD_REQUEST', message: `${method}: invalid argument${where}: ${issue?.message ?? 'invalid'}` } };
    }
    try {
      const fn = api[method as Method] as (a: unknown) => Promise<unknown>;
      return { ok: true, value: await fn.call(api, parsed.data) };
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) };
    }
  };
}
