/**
 * `node hello-server.js uws|node <body file>`: the ceilings of the concurrency scenario. Answers
 * every request with the bytes of Sluice's small explore answer (application/json, no auth)
 * on a free port, printed as `{"port":N}` on stdout.
 */
import fs from 'node:fs'
import http from 'node:http'
import uWS from 'uWebSockets.js'

const [kind, bodyFile] = process.argv.slice(2)
const body = fs.readFileSync(bodyFile!)
const ready = (port: number) => process.stdout.write(JSON.stringify({ port }) + '\n')

if (kind === 'uws') {
  uWS.App().any('/*', (res) => {
    res.cork(() => { res.writeHeader('content-type', 'application/json').end(body) })
  }).listen('127.0.0.1', 0, (sock) => {
    if (!sock) throw new Error('uWS could not listen')
    ready(uWS.us_socket_local_port(sock))
  })
} else {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1', () => ready((server.address() as { port: number }).port))
}
