// Topic conditions (CCS §3 `condition`): expressions such as
// `'dogs' in topics && ('cats' in topics || 'fish' in topics)`, with the
// operators && and ||, parentheses, and at most MAX_CONDITION_TOPICS topics
// (FCM raised GCM's two operators to five topics). Keywords are
// case-insensitive. Without negation a match needs at least one subscribed
// topic, so the candidates are the subscribers of the named topics.

export const MAX_CONDITION_TOPICS = 5;

/** The FCM SDKs accept topic names matching [a-zA-Z0-9-_.~%]{1,900}. */
const MAX_TOPIC_NAME_LENGTH = 900;

/**
 * The longest condition read at all, checked before tokenizing: five topics of
 * the longest name, each with room for its quotes, "in topics", an operator
 * and a few parentheses.
 */
export const MAX_CONDITION_LENGTH = MAX_CONDITION_TOPICS * (MAX_TOPIC_NAME_LENGTH + 64);

/** Five topics need at most four nested parentheses; more are redundant, and allowed only this far. */
export const MAX_CONDITION_NESTING = 16;

export type Condition =
  | { op: 'topic'; topic: string }
  | { op: 'and' | 'or'; left: Condition; right: Condition };

export class ConditionError extends Error {}

const TOKEN = /\s*(?:(&&|\|\||\(|\))|'([a-zA-Z0-9\-_.~%]+)'\s+in\s+topics\b)/iy;

function tokenize(text: string): Array<{ symbol: string } | { topic: string }> {
  const tokens: Array<{ symbol: string } | { topic: string }> = [];
  TOKEN.lastIndex = 0;
  let position = 0;
  while (position < text.length) {
    if (/^\s*$/.test(text.slice(position))) break;
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(text);
    if (!match) throw new ConditionError(`Invalid condition: unexpected "${text.slice(position).trim()}"`);
    tokens.push(match[1] ? { symbol: match[1] } : { topic: match[2]! });
    position = TOKEN.lastIndex;
  }
  return tokens;
}

/** Parses a condition; throws ConditionError for anything else. */
export function parseCondition(text: string): Condition {
  if (text.length > MAX_CONDITION_LENGTH) throw new ConditionError(`Invalid condition: longer than ${MAX_CONDITION_LENGTH} characters`);
  const tokens = tokenize(text);
  let index = 0;
  let nesting = 0;
  const peek = () => tokens[index];
  const isSymbol = (symbol: string) => {
    const token = peek();
    return token !== undefined && 'symbol' in token && token.symbol === symbol;
  };
  const binary = (op: 'and' | 'or', symbol: string, operand: () => Condition) => (): Condition => {
    let left = operand();
    while (isSymbol(symbol)) {
      index++;
      left = { op, left, right: operand() };
    }
    return left;
  };
  const primary = (): Condition => {
    const token = peek();
    if (token === undefined) throw new ConditionError('Invalid condition: unexpected end');
    index++;
    if ('topic' in token) return { op: 'topic', topic: token.topic };
    if (token.symbol === '(') {
      if (++nesting > MAX_CONDITION_NESTING) throw new ConditionError(`Invalid condition: parentheses nested deeper than ${MAX_CONDITION_NESTING}`);
      const inner = or();
      if (!isSymbol(')')) throw new ConditionError('Invalid condition: missing )');
      index++;
      nesting--;
      return inner;
    }
    throw new ConditionError(`Invalid condition: unexpected "${token.symbol}"`);
  };
  const and = binary('and', '&&', primary);
  const or = binary('or', '||', and);
  const condition = or();
  if (index !== tokens.length) throw new ConditionError('Invalid condition: trailing input');
  const topics = conditionTopics(condition);
  if (topics.length > MAX_CONDITION_TOPICS) throw new ConditionError(`Invalid condition: more than ${MAX_CONDITION_TOPICS} topics`);
  return condition;
}

export function conditionTopics(condition: Condition): string[] {
  switch (condition.op) {
    case 'topic':
      return [condition.topic];
    default:
      return [...conditionTopics(condition.left), ...conditionTopics(condition.right)];
  }
}

export function matchesCondition(condition: Condition, subscribed: ReadonlySet<string>): boolean {
  switch (condition.op) {
    case 'topic':
      return subscribed.has(condition.topic);
    case 'and':
      return matchesCondition(condition.left, subscribed) && matchesCondition(condition.right, subscribed);
    case 'or':
      return matchesCondition(condition.left, subscribed) || matchesCondition(condition.right, subscribed);
  }
}
