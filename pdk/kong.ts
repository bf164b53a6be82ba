/**
 * The `kong` object that every phase method receives: one property per Kong
 * PDK namespace, all bound to the event being handled.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import { Client } from './client.ts';
import { Cluster } from './cluster.ts';
import { Ctx } from './ctx.ts';
import { Ip } from './ip.ts';
import { Log } from './log.ts';
import { Nginx } from './nginx.ts';
import { Node } from './node.ts';
import { Plugin } from './plugin.ts';
import { Request } from './request.ts';
import { Response } from './response.ts';
import { Router } from './router.ts';
import { Service } from './service.ts';
import { Telemetry } from './telemetry.ts';
import { Vault } from './vault.ts';

/** Reads the bridge of a {@link Kong} object; set once by the class's static block. */
let readBridge: (kong: Kong) => Bridge;

/**
 * The bridge a {@link Kong} object sends its calls through: the event's, with
 * whatever checks the server put on it. For adapters that speak another PDK's
 * dialect over the same event (compat/kong-pdk); not part of the public API.
 */
export function bridgeOf(kong: Kong): Bridge {
  return readBridge(kong);
}

/**
 * The Kong PDK of one event. Namespaces are created on first use, so an event
 * pays only for the namespaces it touches.
 */
export class Kong {
  static {
    readBridge = (kong) => kong.#bridge;
  }

  readonly #bridge: Bridge;
  #client: Client | undefined;
  #cluster: Cluster | undefined;
  #ctx: Ctx | undefined;
  #ip: Ip | undefined;
  #log: Log | undefined;
  #nginx: Nginx | undefined;
  #node: Node | undefined;
  #plugin: Plugin | undefined;
  #request: Request | undefined;
  #response: Response | undefined;
  #router: Router | undefined;
  #service: Service | undefined;
  #telemetry: Telemetry | undefined;
  #vault: Vault | undefined;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /** `kong.client` (and `kong.client.tls`): the connected client and who it authenticated as. */
  get client(): Client {
    return (this.#client ??= new Client(this.#bridge));
  }
  /** `kong.cluster`: the cluster this node belongs to. */
  get cluster(): Cluster {
    return (this.#cluster ??= new Cluster(this.#bridge));
  }
  /** `kong.ctx`: values shared with other plugins on this request (`kong.ctx.shared`). */
  get ctx(): Ctx {
    return (this.#ctx ??= new Ctx(this.#bridge));
  }
  /** `kong.ip`: Kong's trusted addresses. */
  get ip(): Ip {
    return (this.#ip ??= new Ip(this.#bridge));
  }
  /** `kong.log`: write to Kong's error log; the serialized log table. */
  get log(): Log {
    return (this.#log ??= new Log(this.#bridge));
  }
  /** `kong.nginx`: nginx variables, `ngx.ctx`, subsystem and statistics. */
  get nginx(): Nginx {
    return (this.#nginx ??= new Nginx(this.#bridge));
  }
  /** `kong.node`: this Kong node. */
  get node(): Node {
    return (this.#node ??= new Node(this.#bridge));
  }
  /** `kong.plugin`: the running plugin instance. */
  get plugin(): Plugin {
    return (this.#plugin ??= new Plugin(this.#bridge));
  }
  /** `kong.request`: the client's request. */
  get request(): Request {
    return (this.#request ??= new Request(this.#bridge));
  }
  /** `kong.response`: the response to the client. */
  get response(): Response {
    return (this.#response ??= new Response(this.#bridge));
  }
  /** `kong.router`: the matched Route and Service. */
  get router(): Router {
    return (this.#router ??= new Router(this.#bridge));
  }
  /** `kong.service` (and `kong.service.request`, `kong.service.response`): the proxied Service. */
  get service(): Service {
    return (this.#service ??= new Service(this.#bridge));
  }
  /** `kong.telemetry`: OpenTelemetry log records. */
  get telemetry(): Telemetry {
    return (this.#telemetry ??= new Telemetry(this.#bridge));
  }
  /** `kong.vault`: secret references. */
  get vault(): Vault {
    return (this.#vault ??= new Vault(this.#bridge));
  }
}
