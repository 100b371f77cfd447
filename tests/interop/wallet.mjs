// An independent wallet: @openid4vc/openid4vp's Openid4vpClient resolves our verifier's request (signed JAR with
// x5c, by reference with request_uri_method=post, or by value), @sd-jwt/core presents the diploma with a KB-JWT,
// and the client submits the direct_post answer. Input on stdin (JSON): authorization_request, credential,
// holder_private_jwk, trusted_ca_pem. Output on stdout (JSON): what the verifier answered.
import { Openid4vpClient } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/utils'
import { SDJwtInstance } from '@sd-jwt/core'
import { digest, ES256 } from '@sd-jwt/crypto-nodejs'
import { callbacks, readStdinJson } from './common.mjs'

const input = await readStdinJson()
setGlobalConfig({ allowInsecureUrls: true }) // our verifier runs on http://localhost in the test
const context = callbacks({ trustedCaPem: input.trusted_ca_pem })
const client = new Openid4vpClient({ callbacks: context })

const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: input.authorization_request })
let resolved
try {
  resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params })
} catch (error) {
  // The library refused the request: say so, as a wallet would tell its holder.
  process.stdout.write(JSON.stringify({ refused: `${error.constructor.name}: ${error.message}` }) + '\n')
  process.exit(0)
}
const request = resolved.authorizationRequestPayload
const query = resolved.dcql.query.credentials[0]
const frame = Object.fromEntries(query.claims.map((claim) => [claim.path[0], true]))
const sdjwt = new SDJwtInstance({
  hasher: digest,
  hashAlg: 'sha-256',
  kbSigner: await ES256.getSigner(input.holder_private_jwk),
  kbSignAlg: 'ES256',
})
const presentation = await sdjwt.present(input.credential, frame, {
  kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: request.client_id, nonce: request.nonce } },
})
const response = await client.createOpenid4vpAuthorizationResponse({
  authorizationRequestPayload: request,
  authorizationResponsePayload: { vp_token: { [query.id]: [presentation] } },
})
const submitted = await client.submitOpenid4vpAuthorizationResponse({
  authorizationRequestPayload: request,
  authorizationResponsePayload: response.authorizationResponsePayload,
})
const body = await submitted.response.text()
process.stdout.write(
  JSON.stringify({
    status: submitted.response.status,
    body: body ? JSON.parse(body) : null,
    client: { prefix: resolved.client.prefix, identifier: resolved.client.identifier },
    sent_by: resolved.jar?.sendBy,
    disclosed: Object.keys(frame),
  }) + '\n',
)
