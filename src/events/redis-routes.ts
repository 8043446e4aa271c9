// The routing registry of the Redis bus: which node holds a session for which
// routing key (src/events/bus.ts `routes`), so that an event for a device
// reaches only the node(s) holding it.
//
// In Redis, per routing key, a sorted set `<channel>:route:<key>`: member =
// node id, score = when that node's claim expires (ms, Redis' clock), the key
// itself expiring with its newest claim. A node registers its claimed keys
// when it claims them and again every ttl/3 (one pipeline for all of them),
// so a node that dies without a word drops out within the TTL. Publishing is
// one script run for a batch of events (those of one turn of the event loop,
// ./redis-bus.ts): the live nodes of each event's keys are looked up and each
// node gets ONE message on its channel `<channel>:node:<nodeId>`, the event
// itself or, for several, a JSON array of them in the order published. So a
// node that stored messages for devices on other nodes costs each of those
// nodes one wake-up per batch, not one per device. Both scripts read Redis'
// TIME, so the nodes' clocks do not matter.
//
// The scripts touch several keys: a Redis Cluster would need them in one
// hash slot; one Redis (or a primary with replicas) is what this is for.
import type { Redis } from 'ioredis';

/** Registers KEYS for node ARGV[1] for ARGV[2] ms, dropping expired claims. */
const REGISTER = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  redis.call('ZADD', key, now + ttl, ARGV[1])
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
return #KEYS`;

/**
 * Routes a batch of events: ARGV[1] is the node channels' prefix, then each
 * event is its number of keys and its JSON (ARGV[2k], ARGV[2k+1]); KEYS are
 * every event's keys in turn. An event goes once to every node with a live
 * claim on one of its keys; each node gets one PUBLISH, the event alone or
 * the JSON array of its events. Returns how many PUBLISHes.
 */
const ROUTE = `
local time = redis.call('TIME')
local after = '(' .. string.format('%d', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
local holders = {}
local byNode = {}
local nodes = {}
local nextKey = 1
for a = 2, #ARGV, 2 do
  local sent = {}
  for k = nextKey, nextKey + tonumber(ARGV[a]) - 1 do
    local key = KEYS[k]
    holders[key] = holders[key] or redis.call('ZRANGEBYSCORE', key, after, '+inf')
    for _, node in ipairs(holders[key]) do
      if not sent[node] then
        sent[node] = true
        if not byNode[node] then
          byNode[node] = {}
          nodes[#nodes + 1] = node
        end
        table.insert(byNode[node], ARGV[a + 1])
      end
    end
  end
  nextKey = nextKey + tonumber(ARGV[a])
end
for _, node in ipairs(nodes) do
  local events = byNode[node]
  redis.call('PUBLISH', ARGV[1] .. node, #events == 1 and events[1] or '[' .. table.concat(events, ',') .. ']')
end
return #nodes`;

/** Keys per script call when registering many: bounds one command's size. */
const REGISTER_BATCH = 1000;

interface RoutingCommands {
  ocpRegister(numberOfKeys: number, ...args: Array<string | number>): Promise<number>;
  ocpRoute(numberOfKeys: number, ...args: Array<string | number>): Promise<number>;
}

export class RouteRegistry {
  /** Routing key → claims held on this node. */
  readonly claims = new Map<string, number>();
  private readonly redis: Redis & RoutingCommands;

  constructor(
    redis: Redis,
    private readonly channel: string,
    private readonly ttlMs: number,
    public nodeId: string | undefined,
  ) {
    redis.defineCommand('ocpRegister', { lua: REGISTER });
    redis.defineCommand('ocpRoute', { lua: ROUTE });
    this.redis = redis as Redis & RoutingCommands;
  }

  /** The channel this node's targeted events arrive on. */
  nodeChannel(nodeId: string): string {
    return `${this.channel}:node:${nodeId}`;
  }

  private registryKey(key: string): string {
    return `${this.channel}:route:${key}`;
  }

  /** Counts a claim; true if the key was not claimed here before. */
  count(key: string): boolean {
    const claims = this.claims.get(key) ?? 0;
    this.claims.set(key, claims + 1);
    return claims === 0;
  }

  /** Ends a claim; true if it was the key's last one here. */
  uncount(key: string): boolean {
    const claims = this.claims.get(key);
    if (claims === undefined) return false;
    if (claims > 1) this.claims.set(key, claims - 1);
    else this.claims.delete(key);
    return claims === 1;
  }

  /** Registers `keys` (default: every key claimed here) for this node, for another TTL. */
  async register(keys: readonly string[] = [...this.claims.keys()]): Promise<void> {
    const nodeId = this.nodeId;
    if (nodeId === undefined || keys.length === 0) return;
    if (keys.length === 1) {
      await this.redis.ocpRegister(1, this.registryKey(keys[0]!), nodeId, this.ttlMs);
      return;
    }
    const pipeline = this.redis.pipeline() as unknown as RoutingCommands & { exec(): Promise<Array<[Error | null, unknown]> | null> };
    for (let start = 0; start < keys.length; start += REGISTER_BATCH) {
      const batch = keys.slice(start, start + REGISTER_BATCH).map((key) => this.registryKey(key));
      void pipeline.ocpRegister(batch.length, ...batch, nodeId, this.ttlMs);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error !== null);
    if (failed) throw failed[0];
  }

  /** Removes this node's claims of `keys` now (a claim left behind would expire anyway). */
  async unregister(keys: readonly string[]): Promise<void> {
    const nodeId = this.nodeId;
    if (nodeId === undefined || keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.zrem(this.registryKey(key), nodeId);
    await pipeline.exec();
  }

  /** Publishes each event (its JSON) to the nodes holding any of its keys; resolves with how many node messages. */
  route(events: ReadonlyArray<{ keys: readonly string[]; message: string }>): Promise<number> {
    const keys = events.flatMap((event) => event.keys.map((key) => this.registryKey(key)));
    const args = events.flatMap((event) => [event.keys.length, event.message]);
    if (keys.length === 0) return Promise.resolve(0);
    return this.redis.ocpRoute(keys.length, ...keys, `${this.channel}:node:`, ...args);
  }
}
