// The namespaces of the wire vocabulary that the server, the devices and the SDKs share.
/** GCP §c: the push channel. */
export const PUSH_NS = 'google:push';
/** The channel a cloud print push subscribes to (GCP §c). */
export const PUSH_CHANNEL = 'cloudprint.google.com';
/** CCS §2: the CCS message payload. */
export const GCM_NAMESPACE = 'google:mobile:data';
/** XEP-0199 ping. */
export const PING_NS = 'urn:xmpp:ping';
