// Callbacks the OpenWallet Foundation's @openid4vc libraries need, written with Node's crypto and `jose`: what an
// independent integrator of those libraries would write. Trust in an x5c chain is decided here, as the libraries
// leave it to their user: the leaf must be issued by the one trusted CA and valid now.
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import * as jose from 'jose'

export function pemOf(base64Der) {
  const lines = base64Der.match(/.{1,64}/g).join('\n')
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`
}

export function sanDnsNames(base64Der) {
  const san = new X509Certificate(Buffer.from(base64Der, 'base64')).subjectAltName ?? ''
  return san
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4))
}

function checkChain(x5c, trustedCaPem) {
  const chain = x5c.map((entry) => new X509Certificate(Buffer.from(entry, 'base64')))
  const anchor = new X509Certificate(trustedCaPem)
  const now = new Date()
  for (const certificate of chain) {
    if (new Date(certificate.validFrom) > now || new Date(certificate.validTo) < now) return false
  }
  for (let index = 0; index + 1 < chain.length; index++) {
    if (!chain[index].checkIssued(chain[index + 1]) || !chain[index].verify(chain[index + 1].publicKey)) return false
  }
  const top = chain[chain.length - 1]
  return top.checkIssued(anchor) && top.verify(anchor.publicKey)
}

export function callbacks({ trustedCaPem, signingKeyPem } = {}) {
  return {
    hash: (data, alg) => new Uint8Array(createHash(alg.replace('-', '')).update(data).digest()),
    generateRandom: (length) => new Uint8Array(randomBytes(length)),
    getX509CertificateMetadata: (certificate) => ({ sanDnsNames: sanDnsNames(certificate), sanUriNames: [] }),
    fetch: (...args) => fetch(...args),
    signJwt: async (signer, { header, payload }) => {
      const key = await jose.importPKCS8(signingKeyPem, signer.alg)
      const jwt = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ ...header, alg: signer.alg })
        .sign(key)
      const publicJwk = await jose.exportJWK(await jose.importX509(pemOf(signer.x5c[0]), signer.alg))
      return { jwt, signerJwk: publicJwk }
    },
    verifyJwt: async (signer, { compact, header }) => {
      if (signer.method !== 'x5c' || !trustedCaPem || !checkChain(signer.x5c, trustedCaPem)) return { verified: false }
      try {
        const key = await jose.importX509(pemOf(signer.x5c[0]), header.alg)
        await jose.compactVerify(compact, key)
        return { verified: true, signerJwk: await jose.exportJWK(key) }
      } catch {
        return { verified: false }
      }
    },
  }
}

export async function readStdinJson() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}
