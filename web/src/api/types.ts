// API shapes: aliases of the types generated from the server's OpenAPI
// document (schema.d.ts; `npm run gen:api`), so pages do not depend on
// the server's schema names.
import type { components } from './schema';

type S = components['schemas'];

export type User = S['UserView'];
export type TokenPair = S['TokenResponse'];
export type JobStatus = S['JobStatus'];
export const TERMINAL: JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
export type Job = S['JobView'];
export type JobList = S['JobList'];
export type SubmitJob = S['SubmitJobRequest'];
export type SubmitJobResponse = S['SubmitJobResponse'];
export type JobResult = S['JobResult'];
export type Backend = S['BackendView'];
export type UsageReport = S['UsageReport'];
export type ApiKey = S['ApiKeyView'];
export type NewApiKey = S['CreatedApiKey'];
export type Scope = S['Scope'];
export type GateInfo = S['GateInfo'];
export type ParseResponse = S['ParseResponse'];
export type TotpEnrollment = S['TotpEnrollment'];
export type TotpEnabled = S['TotpEnabled'];

export interface ApiErrorBody {
  error: { code: string; message: string };
}

/** The message of an RTK Query error (server JSON error, network, or parse). */
export function errorMessage(e: unknown): string {
  if (!e || typeof e !== 'object') return 'unknown error';
  const any = e as { status?: unknown; data?: unknown; error?: string; message?: string };
  const body = any.data as ApiErrorBody | undefined;
  if (body && typeof body === 'object' && body.error?.message) return body.error.message;
  if (typeof any.error === 'string') return any.error;
  if (typeof any.message === 'string') return any.message;
  return `request failed (${String(any.status ?? 'network')})`;
}

export function errorCode(e: unknown): string | undefined {
  const body = (e as { data?: ApiErrorBody } | undefined)?.data;
  return body && typeof body === 'object' ? body.error?.code : undefined;
}
