#!/usr/bin/env node
// Runs the local AWS stand-ins that `make test` needs, in one process:
// dynalite (DynamoDB, in memory) and s3rver (S3, files under a temp dir),
// each on a free loopback port.
//
// Usage: node scripts/emulators.js WORK_DIR
//
// WORK_DIR is a fresh temp dir owned by the caller; s3rver keeps its buckets
// under WORK_DIR/s3. Once both servers listen, it writes WORK_DIR/endpoints
// (atomically, via rename) with two lines:
//   AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:PORT
//   AWS_ENDPOINT_URL_S3=http://127.0.0.1:PORT
// and prints the same lines on stdout. It exits on SIGTERM/SIGINT, and on its
// own when its parent dies (it polls process.ppid; it then also removes
// WORK_DIR, which nobody else is left to do), so an emulator never outlives
// the harness that started it. scripts/with-emulators drives it.
'use strict'

const fs = require('fs')
const path = require('path')
const dynalite = require('dynalite')
const S3rver = require('s3rver')
// s3rver 3.7.1 answers ListObjectsV2 with a delimiter wrongly for deep keys: patched here.
require('./s3rver-delimiter')

const workDir = process.argv[2]
if (!workDir || !fs.statSync(workDir, { throwIfNoEntry: false })?.isDirectory()) {
  console.error('usage: emulators.js WORK_DIR (an existing directory)')
  process.exit(2)
}
const endpointsFile = path.join(workDir, 'endpoints')
const s3Dir = path.join(workDir, 's3')

const servers = []
let stopping = false

function stop (code) {
  if (stopping) return
  stopping = true
  // Both stores are disposable (memory, and a temp dir), so there is nothing
  // to flush: close politely, but never wait long for it.
  setTimeout(() => process.exit(code), 500)
  let open = servers.length
  if (open === 0) process.exit(code)
  for (const close of servers) {
    close(() => { if (--open === 0) process.exit(code) })
  }
}

function fail (what, err) {
  console.error(`${what}: ${err && err.stack ? err.stack : err}`)
  stop(1)
}

process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
process.on('uncaughtException', (err) => {
  // A client that gives up on a request (a test's cancelled context) leaves
  // the request stream with an 'aborted' / ECONNRESET error that dynalite and
  // s3rver do not handle, so node reports it here. The server is unharmed and
  // other requests go on: note it and keep serving, instead of failing every
  // test that comes after.
  if (err && (err.message === 'aborted' || err.code === 'ECONNRESET')) {
    console.error(`client aborted a request (ignored): ${err.message}`)
    return
  }
  fail('uncaught exception', err)
})

// Exit when the parent (the shell running the tests) is gone: we are then
// re-parented, so ppid changes.
const parent = process.ppid
setInterval(() => {
  if (process.ppid === parent) return
  process.on('exit', () => fs.rmSync(workDir, { recursive: true, force: true }))
  stop(0)
}, 250).unref()

function startDynalite () {
  return new Promise((resolve, reject) => {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      servers.push((cb) => server.close(() => cb()))
      resolve(`http://127.0.0.1:${server.address().port}`)
    })
  })
}

async function startS3rver () {
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir })
  const { port } = await s3.run()
  servers.push((cb) => s3.close(() => cb()))
  return `http://127.0.0.1:${port}`
}

async function main () {
  const [dynamodb, s3] = await Promise.all([startDynalite(), startS3rver()])
  const lines = `AWS_ENDPOINT_URL_DYNAMODB=${dynamodb}\nAWS_ENDPOINT_URL_S3=${s3}\n`
  const tmp = `${endpointsFile}.tmp`
  fs.writeFileSync(tmp, lines)
  fs.renameSync(tmp, endpointsFile)
  process.stdout.write(lines)
}

main().catch((err) => fail('start', err))
