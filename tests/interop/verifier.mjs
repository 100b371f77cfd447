// An independent verifier: @openid4vc/openid4vp's Openid4vpVerifier creates a signed request (JAR, x5c, under the
// x509_san_dns or x509_hash prefix), passed by value or by reference, serves its response_uri, parses the wallet's
// direct_post answer against its DCQL query, and @sd-jwt/core verifies the presentation (issuer signature,
// disclosures, KB-JWT nonce and audience). Input on stdin (JSON): x5c, signing_key_pem, issuer_jwks, claims, prefix,
// passing ("value" or "reference"). Output on stdout: one JSON line with the request, then one with the verdict.
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import { Openid4vpVerifier } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/utils'
import { SDJwtInstance } from '@sd-jwt/core'
import { digest, ES256 } from '@sd-jwt/crypto-nodejs'
import * as jose from 'jose'
import { callbacks, readStdinJson } from './common.mjs'

const input = await readStdinJson()
setGlobalConfig({ allowInsecureUrls: true }) // the response_uri is http://localhost in the test
const context = callbacks({ signingKeyPem: input.signing_key_pem })
const verifier = new Openid4vpVerifier({ callbacks: context })

let jarJwt = null
let finish
const done = new Promise((resolve) => (finish = resolve))

const server = createServer(async (request, response) => {
  const chunks = []
  for await (const chunk of request) chunks.push(chunk)
  if (request.url === '/request' && jarJwt) {
    response.writeHead(200, { 'Content-Type': 'application/oauth-authz-req+jwt' }).end(jarJwt)
    return
  }
  if (request.url !== '/response' || request.method !== 'POST') {
    response.writeHead(404).end()
    return
  }
  const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
  try {
    finish(await judge(form))
    response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}')
  } catch (error) {
    finish({ accepted: false, reason: `${error.constructor.name}: ${error.message}` })
    response.writeHead(400, { 'Content-Type': 'application/json' })
    response.end(JSON.stringify({ error: 'invalid_request', error_description: error.message }))
  }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://localhost:${server.address().port}`

const leaf = input.x5c[0]
const clientId =
  input.prefix === 'x509_hash'
    ? `x509_hash:${jose.base64url.encode(new Uint8Array(context.hash(Buffer.from(leaf, 'base64'), 'sha-256')))}`
    : 'x509_san_dns:localhost'
const nonce = jose.base64url.encode(randomBytes(16))
const created = await verifier.createOpenId4vpAuthorizationRequest({
  authorizationRequestPayload: {
    response_type: 'vp_token',
    response_mode: 'direct_post',
    client_id: clientId,
    response_uri: `${base}/response`,
    nonce,
    state: jose.base64url.encode(randomBytes(16)),
    dcql_query: {
      credentials: [
        {
          id: 'bac',
          format: 'dc+sd-jwt',
          meta: { vct_values: ['urn:ma:men:credential:baccalaureate:1'] },
          claims: input.claims.map((name) => ({ path: [name] })),
        },
      ],
    },
    client_metadata: {
      client_name: 'Independent verifier',
      vp_formats_supported: { 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] } },
    },
  },
  jar: {
    jwtSigner: { method: 'x5c', x5c: input.x5c, alg: 'ES256' },
    // Static discovery (OpenID4VP 1.0 §5.8): the library would otherwise address a by-reference request to its URI.
    additionalJwtPayload: { aud: 'https://self-issued.me/v2' },
    ...(input.passing === 'reference' ? { requestUri: `${base}/request` } : {}),
  },
})
jarJwt = created.jar.authorizationRequestJwt
process.stdout.write(JSON.stringify({ authorization_request: created.authorizationRequest, client_id: clientId }) + '\n')

async function judge(form) {
  const parsed = await verifier.parseOpenid4vpAuthorizationResponse({
    authorizationResponse: form,
    authorizationRequestPayload: created.authorizationRequestPayload,
    callbacks: context,
  })
  const presentation = parsed.dcql.presentations.bac[0]
  const sdjwt = new SDJwtInstance({
    hasher: digest,
    verifier: async (data, signature) => {
      const header = JSON.parse(Buffer.from(presentation.split('.')[0], 'base64url').toString('utf8'))
      const key = input.issuer_jwks.keys.find((candidate) => candidate.kid === header.kid)
      return key ? (await ES256.getVerifier(key))(data, signature) : false
    },
    kbVerifier: async (data, signature, payload) => (await ES256.getVerifier(payload.cnf.jwk))(data, signature),
  })
  const verified = await sdjwt.verify(presentation, {
    requiredClaimKeys: input.claims,
    keyBindingNonce: nonce,
    requireKeyBindings: true,
  })
  if (verified.kb?.payload.aud !== clientId) throw new Error(`KB-JWT aud ${verified.kb?.payload.aud} is not ${clientId}`)
  const claims = Object.fromEntries(input.claims.map((name) => [name, verified.payload[name]]))
  return { accepted: true, claims, vct: verified.payload.vct, iss: verified.payload.iss }
}

const verdict = await Promise.race([
  done,
  new Promise((resolve) => setTimeout(() => resolve({ accepted: false, reason: 'no answer in 60 s' }), 60_000)),
])
process.stdout.write(JSON.stringify(verdict) + '\n')
server.close()
process.exit(0)
