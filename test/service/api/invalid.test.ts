import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { publishRequest, targetRoom, userId } from '../../../contract/api';
import { describeValue, invalidMessage, MAX_LISTED_PROBLEMS } from '../../../service/src/api/invalid';

/** The message the service answers for `input` as the body of a publish (or as the path parameter `subject`). */
function messageFor(input: unknown, schema: z.ZodType = publishRequest, subject = 'the body'): string {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error(`${JSON.stringify(input)} was accepted`);
  return invalidMessage(schema, parsed.error, input, subject);
}

describe('invalidMessage', () => {
  it.each([
    [{ event: 'x', room: 'shop-7' }, 'unknown field "room": did you mean rooms?'],
    [{ event: 'x', ROOMS: ['a'] }, 'unknown field "ROOMS": did you mean rooms?'],
    [{ event: 'x', excepts: ['a'] }, 'unknown field "excepts": did you mean except?'],
    [{ event: 'x', idempotency_key: 'k' }, 'unknown field "idempotency_key": did you mean idempotencyKey?'],
    [{ event: 'x', to: ['a'] }, 'unknown field "to": the fields are event, data, args, rooms, users, except, exceptUsers, idempotencyKey'],
  ])('names an unknown field and the known one it was likely meant to be: %j', (body, message) => {
    expect(messageFor(body)).toBe(message);
  });

  it('puts unknown fields first, since they often explain the rest', () => {
    expect(messageFor({ evnt: 'x' })).toBe(
      'unknown field "evnt": did you mean event?; event is missing: it must be a string (the name of the event to emit)',
    );
  });

  it('tells a missing event from one of the wrong type', () => {
    expect(messageFor({ data: 1 })).toBe('event is missing: it must be a string (the name of the event to emit)');
    expect(messageFor({ event: 42 })).toBe('event must be a string (the name of the event to emit), got 42');
    expect(messageFor({ event: null })).toBe('event must be a string (the name of the event to emit), got null');
  });

  it('names a list that is not one, and each entry that is wrong by its index', () => {
    expect(messageFor({ event: 'x', rooms: 'shop-7' })).toBe('rooms must be an array of strings (room names), got "shop-7"');
    expect(messageFor({ event: 'x', users: { a: 1 } })).toBe('users must be an array of strings (user ids), got an object');
    expect(messageFor({ event: 'x', except: true })).toBe('except must be an array of strings (room names), got true');
    expect(messageFor({ event: 'x', rooms: ['ok', 7] })).toBe('rooms[1] must be a string (a room name), got 7');
    expect(messageFor({ event: 'x', users: ['a b'] })).toBe('users[0] must be 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -, got "a b"');
  });

  it('says what a field must be and what it got', () => {
    expect(messageFor({ event: 'tab\there' })).toBe('event must be 1-256 characters without control characters, got "tab\\there"');
    expect(messageFor({ event: 'sys:session' })).toMatch(/^event is reserved: sys:\* events are the platform's, .*, got "sys:session"$/);
    expect(messageFor({ event: 'x', idempotencyKey: 5 })).toBe(
      'idempotencyKey must be a string of 1-128 characters of A-Z a-z 0-9 _ . : -, got 5',
    );
    expect(messageFor([{ event: 'x' }])).toBe('the body must be a JSON object, got an array');
  });

  it('names a path parameter by the subject it is given', () => {
    expect(messageFor('a b', userId, 'the user in the path')).toBe(
      'the user in the path must be 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -, got "a b"',
    );
    expect(messageFor('sys:x', targetRoom, 'the room in the path')).toMatch(
      /^the room in the path must not start with sys:: those rooms are the platform's, got "sys:x"$/,
    );
  });

  it(`lists ${MAX_LISTED_PROBLEMS} problems and counts the rest, so that the answer stays one line`, () => {
    const users = ['a b', 'c d', 'e f', 'g h', 'i j'];
    const message = messageFor({ event: 'x', users });
    expect(message.match(/users\[\d\] must be/g)).toEqual(['users[0] must be', 'users[1] must be', 'users[2] must be']);
    expect(message).toMatch(/; and 2 more$/);
  });

  it('suggests no field for a schema that is not an object', () => {
    const schema = z.object({ a: z.string() }).strict().or(z.string());
    expect(messageFor({ a: 'x', b: 1 }, schema)).not.toMatch(/did you mean/);
  });
});

describe('describeValue', () => {
  it('quotes a string, cut at 40 characters, and names what is not one', () => {
    expect(describeValue('ab')).toBe('"ab"');
    expect(describeValue('x'.repeat(100))).toBe(`"${'x'.repeat(40)}…"`);
    expect([1.5, true, null, [], {}].map(describeValue)).toEqual(['1.5', 'true', 'null', 'an array', 'an object']);
  });
});
