import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CheckManyResponse,
  CheckResponse,
  type DecisionReason,
} from '../../../src/adapters/inbound/grpc/generated/wemaster/core/v1/authorization.js';
import {
  encodeCheckManyResponse,
  encodeCheckResponse,
} from '../../../src/adapters/inbound/grpc/mappers/check-response.encoding.js';

const reasonArbitrary: fc.Arbitrary<DecisionReason> = fc.record({
  bindingId: fc.oneof(fc.constant(''), fc.uuid()),
  rolePath: fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }),
  matchedPermission: fc.oneof(fc.constant(''), fc.constantFrom('*', 'users:*', 'users:read')),
  // Non-ASCII and long summaries too: the generated encoder's slow path.
  summary: fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 80 })),
});

const responseArbitrary = (reasons: DecisionReason[]): fc.Arbitrary<CheckResponse> =>
  fc.record({
    allowed: fc.boolean(),
    decisionId: fc.oneof(
      fc.constant(''),
      fc.uuid(),
      fc.string({ unit: 'grapheme', maxLength: 70 }),
      // ASCII ids long enough for a two-byte length.
      fc.string({ minLength: 128, maxLength: 200 }),
    ),
    // Reasons shared between results, as the mapper shares them between identical decisions.
    reason: fc.option(fc.constantFrom(...reasons), { nil: undefined }),
  });

describe('Check/CheckMany response encoding with kept reason bytes', () => {
  it('writes exactly the bytes of the generated encoders, shared reasons included', () => {
    fc.assert(
      fc.property(
        fc
          .array(reasonArbitrary, { minLength: 1, maxLength: 4 })
          .chain((reasons) =>
            fc.array(responseArbitrary(reasons), { minLength: 0, maxLength: 12 }),
          ),
        (results) => {
          for (const result of results) {
            expect(encodeCheckResponse(result)).toEqual(
              Buffer.from(CheckResponse.encode(result).finish()),
            );
          }
          // Twice: the second time every reason comes from the kept bytes.
          for (let round = 0; round < 2; round += 1) {
            const encoded = encodeCheckManyResponse({ results });
            expect(encoded).toEqual(Buffer.from(CheckManyResponse.encode({ results }).finish()));
            expect(CheckManyResponse.decode(encoded)).toEqual(
              CheckManyResponse.decode(CheckManyResponse.encode({ results }).finish()),
            );
          }
        },
      ),
    );
  });
});
