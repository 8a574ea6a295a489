// RTK Query API: one cache for every server resource, with tag-based
// invalidation (a submitted or cancelled job refreshes the lists) and a base
// query that refreshes the access token once on a 401 and retries.
import { createApi, fetchBaseQuery, type BaseQueryFn, type FetchArgs, type FetchBaseQueryError } from '@reduxjs/toolkit/query/react';
import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import { loadSession, saveSession, type Session } from './session';
import type {
  ApiKey, Backend, GateInfo, Job, JobList, JobResult, NewApiKey, ParseResponse, Scope, SubmitJob, SubmitJobResponse,
  TokenPair, TotpEnabled, TotpEnrollment, UsageReport, User,
} from './types';

export const authSlice = createSlice({
  name: 'auth',
  initialState: { session: loadSession() as Session | null, signedOut: false },
  reducers: {
    setTokens(state, action: PayloadAction<TokenPair | null>) {
      state.session = saveSession(action.payload);
      state.signedOut = false;
    },
    // An explicit log out: the login page then does not return to the last page.
    signOut(state) {
      state.session = saveSession(null);
      state.signedOut = true;
    },
  },
});
export const { setTokens, signOut } = authSlice.actions;

interface AuthState {
  auth: { session: Session | null; signedOut: boolean };
}

const raw = fetchBaseQuery({
  baseUrl: '/api/v1',
  prepareHeaders: (headers, { getState }) => {
    const s = (getState() as AuthState).auth.session;
    if (s && !headers.has('authorization')) headers.set('authorization', `Bearer ${s.access}`);
    return headers;
  },
});

// One refresh at a time: concurrent 401s wait for the same refresh.
let refreshing: Promise<boolean> | null = null;

const baseQuery: BaseQueryFn<string | FetchArgs, unknown, FetchBaseQueryError> = async (args, api, extra) => {
  let result = await raw(args, api, extra);
  const url = typeof args === 'string' ? args : args.url;
  if (result.error?.status === 401 && !url.startsWith('/auth/')) {
    const session = (api.getState() as AuthState).auth.session;
    if (!session) return result;
    refreshing ??= (async () => {
      const r = await raw({ url: '/auth/refresh', method: 'POST', body: { refresh_token: session.refresh } }, api, extra);
      api.dispatch(setTokens(r.data ? (r.data as TokenPair) : null));
      return !!r.data;
    })().finally(() => {
      refreshing = null;
    });
    if (await refreshing) result = await raw(args, api, extra);
  }
  return result;
};

export interface JobFilters {
  status?: string;
  backend?: string;
  tag?: string;
  limit?: number;
  cursor?: string;
}

export const api = createApi({
  reducerPath: 'api',
  baseQuery,
  tagTypes: ['Me', 'Job', 'Jobs', 'Keys', 'Backends', 'Usage'],
  endpoints: (b) => ({
    register: b.mutation<User, { email: string; username: string; password: string }>({
      query: (body) => ({ url: '/auth/register', method: 'POST', body }),
    }),
    login: b.mutation<TokenPair, { username: string; password: string; totp?: string }>({
      query: (body) => ({ url: '/auth/login', method: 'POST', body }),
    }),
    logout: b.mutation<void, { refresh_token: string }>({
      query: (body) => ({ url: '/auth/logout', method: 'POST', body }),
    }),
    me: b.query<User, void>({ query: () => '/me', providesTags: ['Me'] }),
    gates: b.query<{ gates: GateInfo[] }, void>({ query: () => '/gates' }),
    parse: b.mutation<ParseResponse, { source: string }>({
      query: (body) => ({ url: '/circuits/parse', method: 'POST', body }),
    }),
    backends: b.query<{ backends: Backend[] }, void>({ query: () => '/backends', providesTags: ['Backends'] }),
    usage: b.query<UsageReport, { from?: string; to?: string }>({
      query: (params) => ({ url: '/usage', params }),
      providesTags: ['Usage'],
    }),
    jobs: b.query<JobList, JobFilters>({
      query: (f) => ({ url: '/jobs', params: Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && v !== '')) }),
      providesTags: ['Jobs'],
    }),
    job: b.query<Job, string>({ query: (id) => `/jobs/${id}`, providesTags: (_r, _e, id) => [{ type: 'Job', id }] }),
    result: b.query<JobResult, string>({ query: (id) => `/jobs/${id}/result` }),
    submit: b.mutation<SubmitJobResponse, SubmitJob>({
      query: (body) => ({ url: '/jobs', method: 'POST', body }),
      invalidatesTags: ['Jobs', 'Backends'],
    }),
    cancel: b.mutation<Job, string>({
      query: (id) => ({ url: `/jobs/${id}/cancel`, method: 'POST' }),
      invalidatesTags: (_r, _e, id) => ['Jobs', 'Backends', { type: 'Job', id }],
    }),
    deleteJob: b.mutation<void, string>({
      query: (id) => ({ url: `/jobs/${id}`, method: 'DELETE' }),
      invalidatesTags: ['Jobs'],
    }),
    apiKeys: b.query<{ api_keys: ApiKey[] }, void>({ query: () => '/api-keys', providesTags: ['Keys'] }),
    createKey: b.mutation<NewApiKey, { name: string; scopes: Scope[]; expires_in_days?: number }>({
      query: (body) => ({ url: '/api-keys', method: 'POST', body }),
      invalidatesTags: ['Keys'],
    }),
    revokeKey: b.mutation<void, string>({
      query: (id) => ({ url: `/api-keys/${id}`, method: 'DELETE' }),
      invalidatesTags: ['Keys'],
    }),
    totpEnroll: b.mutation<TotpEnrollment, void>({
      query: () => ({ url: '/mfa/totp/enroll', method: 'POST' }),
    }),
    totpVerify: b.mutation<TotpEnabled, { code: string }>({
      query: (body) => ({ url: '/mfa/totp/verify', method: 'POST', body }),
      invalidatesTags: ['Me'],
    }),
    totpDisable: b.mutation<{ enabled: boolean }, { code: string }>({
      query: (body) => ({ url: '/mfa/totp/disable', method: 'POST', body }),
      invalidatesTags: ['Me'],
    }),
  }),
});

export const {
  useRegisterMutation, useLoginMutation, useLogoutMutation, useMeQuery, useGatesQuery, useParseMutation,
  useBackendsQuery, useUsageQuery, useJobsQuery, useJobQuery, useResultQuery, useSubmitMutation, useCancelMutation,
  useDeleteJobMutation, useApiKeysQuery, useCreateKeyMutation, useRevokeKeyMutation, useTotpEnrollMutation,
  useTotpVerifyMutation, useTotpDisableMutation,
} = api;
