import type { DictionaryModule } from '../dictionary/types.ts';

// RFC 5176 adds the CoA/Disconnect packet codes (see constants.ts) and Error-Cause.
export const rfc5176: DictionaryModule = {
  source: 'RFC 5176',
  attributes: [
    {
      name: 'Error-Cause',
      type: 101,
      dataType: 'integer',
      values: {
        'Residual-Session-Context-Removed': 201,
        'Invalid-EAP-Packet': 202,
        'Unsupported-Attribute': 401,
        'Missing-Attribute': 402,
        'NAS-Identification-Mismatch': 403,
        'Invalid-Request': 404,
        'Unsupported-Service': 405,
        'Unsupported-Extension': 406,
        'Invalid-Attribute-Value': 407,
        'Administratively-Prohibited': 501,
        'Request-Not-Routable': 502,
        'Session-Context-Not-Found': 503,
        'Session-Context-Not-Removable': 504,
        'Other-Proxy-Processing-Error': 505,
        'Resources-Unavailable': 506,
        'Request-Initiated': 507,
        'Multiple-Session-Selection-Unsupported': 508,
      },
    },
  ],
};
