// Topic conditions (CCS §3 `condition`), the pure rules of
// src/ccs/service/condition.ts: what parses into which tree, what is refused,
// and which subscriptions match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConditionError, conditionTopics, matchesCondition, MAX_CONDITION_LENGTH, MAX_CONDITION_NESTING, MAX_CONDITION_TOPICS, parseCondition, type Condition,
} from '../../src/ccs/service/condition.ts';

const t = (topic: string): Condition => ({ op: 'topic', topic });
const and = (left: Condition, right: Condition): Condition => ({ op: 'and', left, right });
const or = (left: Condition, right: Condition): Condition => ({ op: 'or', left, right });
const topicsExpression = (count: number, operator = '||') => Array.from({ length: count }, (_, i) => `'t${i}' in topics`).join(` ${operator} `);

test('§3: conditions parse with && binding tighter than ||, left to right, parentheses and any keyword case', () => {
  const cases: Array<[text: string, tree: Condition]> = [
    ["'dogs' in topics", t('dogs')],
    ["  'dogs'   in   topics  ", t('dogs')],
    ["'dogs' IN Topics", t('dogs')],
    ["'a' in topics && 'b' in topics", and(t('a'), t('b'))],
    ["'a' in topics || 'b' in topics && 'c' in topics", or(t('a'), and(t('b'), t('c')))],
    ["'a' in topics && 'b' in topics || 'c' in topics", or(and(t('a'), t('b')), t('c'))],
    ["'a' in topics && ('b' in topics || 'c' in topics)", and(t('a'), or(t('b'), t('c')))],
    ["'a' in topics || 'b' in topics || 'c' in topics", or(or(t('a'), t('b')), t('c'))],
    ["(('a' in topics))", t('a')],
    // The topic name characters of the FCM SDKs: [a-zA-Z0-9-_.~%].
    ["'Az09-_.~%' in topics", t('Az09-_.~%')],
  ];
  for (const [text, tree] of cases) assert.deepEqual(parseCondition(text), tree, text);
});

test(`§3: at most ${MAX_CONDITION_TOPICS} topics, ${MAX_CONDITION_NESTING} nested parentheses and ${MAX_CONDITION_LENGTH} characters`, () => {
  assert.equal(conditionTopics(parseCondition(topicsExpression(MAX_CONDITION_TOPICS))).length, MAX_CONDITION_TOPICS);
  const nested = (depth: number) => `${'('.repeat(depth)}'a' in topics${')'.repeat(depth)}`;
  assert.deepEqual(parseCondition(nested(MAX_CONDITION_NESTING)), t('a'));
  const refused: Array<[text: string, reason: RegExp]> = [
    [topicsExpression(MAX_CONDITION_TOPICS + 1), /more than 5 topics/],
    [nested(MAX_CONDITION_NESTING + 1), /nested deeper than 16/],
    [`'a' in topics${' '.repeat(MAX_CONDITION_LENGTH)}`, /longer than/],
  ];
  for (const [text, reason] of refused) assert.throws(() => parseCondition(text), reason, text.slice(0, 40));
});

test('§3: anything else is refused with ConditionError', () => {
  const refused: Array<[text: string, reason: RegExp]> = [
    ['', /unexpected end/],
    ['   ', /unexpected end/],
    ["'a' in topics &&", /unexpected end/],
    ["&& 'a' in topics", /unexpected "&&"/],
    ["('a' in topics", /missing \)/],
    ["'a' in topics)", /trailing input/],
    ["'a' in topics 'b' in topics", /trailing input/],
    ["!('a' in topics)", /unexpected "!/],
    ["'a' in topics & 'b' in topics", /unexpected "&/],
    ['"a" in topics', /unexpected/],
    ["'a b' in topics", /unexpected/],
    ["'' in topics", /unexpected/],
    ["'a' in topicsx", /unexpected/],
    ["'a' intopics", /unexpected/],
    ['()', /unexpected "\)"/],
  ];
  for (const [text, reason] of refused) {
    assert.throws(() => parseCondition(text), (error: unknown) => error instanceof ConditionError && reason.test(error.message), JSON.stringify(text));
  }
});

test('§3: a condition matches the devices whose subscriptions make it true', () => {
  const condition = parseCondition("'dogs' in topics && ('cats' in topics || 'fish' in topics)");
  const cases: Array<[subscribed: string[], matches: boolean]> = [
    [[], false],
    [['dogs'], false],
    [['cats', 'fish'], false],
    [['dogs', 'cats'], true],
    [['dogs', 'fish'], true],
    [['dogs', 'cats', 'fish', 'birds'], true],
    // Topic names are case-sensitive; only the keywords are not.
    [['Dogs', 'cats'], false],
  ];
  for (const [subscribed, matches] of cases) assert.equal(matchesCondition(condition, new Set(subscribed)), matches, subscribed.join(','));
  assert.deepEqual(conditionTopics(condition), ['dogs', 'cats', 'fish']);
});
