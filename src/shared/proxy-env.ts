// The variables that route HTTP through a proxy, as bwdc 2026.6 (Node's env-proxy support) and
// undici's EnvHttpProxyAgent read them: one list for the runner's own requests and for bwdc's.
export const proxyVariables = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'] as const;

export function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return proxyVariables.some((name) => env[name]);
}
