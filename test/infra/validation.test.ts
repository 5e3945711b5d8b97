import { App, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { formatProblem, intRangeProblem, PropsValidationError, rangeProblem, throwPropsProblems } from '../../infra/validation';

describe('problems name the value and what is allowed', () => {
  it('rangeProblem: numbers within an inclusive range', () => {
    expect(rangeProblem('x', 1, { min: 1, max: 3 })).toBeUndefined();
    expect(rangeProblem('x', 2.5, { min: 1, max: 3 })).toBeUndefined();
    expect(rangeProblem('x', 4, { min: 1, max: 3 })).toBe('x must be from 1 to 3, got 4');
    expect(rangeProblem('x', Number.NaN, { min: 1, max: 3 })).toBe('x must be from 1 to 3, got NaN');
  });

  it('intRangeProblem: whole numbers only, with an optional reason', () => {
    expect(intRangeProblem('n', 6, { min: 1, max: 6 })).toBeUndefined();
    expect(intRangeProblem('n', 2.5, { min: 1, max: 6 })).toBe('n must be an integer from 1 to 6, got 2.5');
    expect(intRangeProblem('n', 0, { min: 1, max: 6 }, 'a primary and replicas')).toBe(
      'n must be an integer from 1 to 6 (a primary and replicas), got 0',
    );
  });

  it('formatProblem: the format in words, the value quoted', () => {
    const format = { pattern: /^a+$/, text: 'only a' };
    expect(formatProblem('s', 'aaa', format)).toBeUndefined();
    expect(formatProblem('s', 'ab', format)).toBe('s must be only a, got "ab"');
  });
});

describe('PropsValidationError', () => {
  class Widget extends Construct {}

  it('names the construct, carries its path, and is thrown for the first problem only', () => {
    const widget = new Widget(new Stack(new App(), 'S'), 'W');
    let thrown: unknown;
    try {
      throwPropsProblems(widget, [undefined, 'size must be small', 'color must be blue']);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(PropsValidationError);
    expect((thrown as PropsValidationError).name).toBe('ValidationError');
    expect((thrown as PropsValidationError).message).toBe('Widget: size must be small');
    expect((thrown as PropsValidationError).constructPath).toBe('S/W');
    expect(() => throwPropsProblems(widget, [undefined, undefined])).not.toThrow();
  });
});
