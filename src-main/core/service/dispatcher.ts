// Where requests enter the core: method and argument are checked against the contract's schemas,
// and every outcome becomes an envelope. Both transports call this and nothing else.
import type { ApiCalls, Method } from '../../common/api.ts';
import { argumentError } from '../../common/arg-checks.ts';
import { toErrorInfo, type Envelope } from '../../common/errors.ts';
import { argSchemas, isMethod } from '../../common/schemas.ts';
import { quoted } from '../../common/text.ts';

export type Dispatch = (method: unknown, arg: unknown) => Promise<Envelope<unknown>>;

export function createDispatcher(api: ApiCalls): Dispatch {
  return async (method, arg) => {
    if (!isMethod(method)) {
      // String() of a client-made object can throw ({ toString: 1 }); name only what is safe to name.
      const name = typeof method === 'string' ? quoted(method) : `of type ${method === null ? 'null' : typeof method}`;
      return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `unknown call ${name}` } };
    }
    // reportInput: the issue carries the offending value, so the message can say what it got.
    const parsed = argSchemas[method].safeParse(arg ?? {}, { reportInput: true });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: issue ? argumentError(method, issue) : { code: 'BAD_REQUEST', message: `${method}: invalid argument` } };
    }
    try {
      const fn = api[method as Method] as (a: unknown) => Promise<unknown>;
      return { ok: true, value: await fn.call(api, parsed.data) };
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) };
    }
  };
}
