/** Readiness probes `keelson up` polls: apiserver /readyz, Ready nodes, a DNS answer. */
import dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';

/** GET a JSON document from the apiserver's REST API (with a bearer token, if given); undefined on any failure. */
export async function getJson(url: string, timeoutMs = 2000, token?: string): Promise<any> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    if (!res.ok) return undefined;
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  } catch {
    return undefined;
  }
}

/** Names of nodes whose Ready condition is True. */
export async function readyNodes(apiUrl: string, token?: string): Promise<string[]> {
  const list = await getJson(`${apiUrl}/api/v1/nodes`, 2000, token);
  return ((list?.items ?? []) as any[])
    .filter((n) => (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'))
    .map((n) => n.metadata.name);
}

/** Resolves `name` (A) against a DNS server; the addresses, or [] on failure/timeout. */
export function resolveA(server: string, name: string, timeoutMs = 1000): Promise<string[]> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve([]);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      try {
        resolve(
          (dnsPacket.decode(m).answers ?? [])
            .filter((a) => a.type === 'A')
            .map((a) => String((a as { data?: unknown }).data)),
        );
      } catch {
        resolve([]);
      }
    });
    s.on('error', () => {
      clearTimeout(t);
      resolve([]);
    });
    s.send(
      dnsPacket.encode({
        type: 'query',
        id: 1,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: 'A', name }],
      }),
      53,
      server,
    );
  });
}
