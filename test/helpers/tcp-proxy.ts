/**
 * A TCP proxy on a fixed local port in front of a real server, that a test can stop (every
 * connection cut, the port closed: connections are refused) and start again on the same port
 * — a database that goes away and comes back.
 */
import net from 'node:net'

export interface TcpProxy {
  port: number
  /** true: new connections are accepted and then never answered (a hung server); false: forwarded */
  hang: boolean
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  let server: net.Server | null = null
  let port = 0
  let hang = false

  const listen = () => new Promise<void>((resolve, reject) => {
    const srv = net.createServer((client) => {
      if (hang) {
        sockets.add(client)
        client.on('error', () => {}).on('close', () => sockets.delete(client))
        return
      }
      const upstream = net.connect(target.port, target.host)
      sockets.add(client)
      sockets.add(upstream)
      const cut = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
      client.on('error', cut).on('close', cut)
      upstream.on('error', cut).on('close', cut)
      client.pipe(upstream)
      upstream.pipe(client)
    })
    srv.once('error', reject)
    srv.listen(port, '127.0.0.1', () => {
      port = (srv.address() as net.AddressInfo).port
      server = srv
      resolve()
    })
  })

  const stop = async () => {
    const srv = server
    server = null
    for (const s of sockets) s.destroy()
    sockets.clear()
    if (srv) await new Promise<void>((r) => srv.close(() => r()))
  }

  await listen()
  return {
    get port() { return port },
    get hang() { return hang },
    set hang(v: boolean) { hang = v },
    stop,
    start: async () => {
      if (server) return
      // The port was ours a moment ago; retry briefly in case the OS has not released it yet.
      for (let i = 0; ; i++) {
        try {
          await listen()
          return
        } catch (err) {
          if (i >= 50 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
          await new Promise((r) => setTimeout(r, 100))
        }
      }
    },
    close: stop,
  }
}

/** A local port nothing listens on (connections to it are refused). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}
