// Look up a person: a search box, the people found, one person's card and derived credentials (device, state,
// expiry, renewal due) with suspend / resume / revoke. Every refusal is a sentence (console-client.ts refusalKey).
import type { FormEvent, ReactNode } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PersonLookup, PersonRecord } from '../../../contracts/agent-api.ts';
import { SEARCH_MAX_LENGTH, SEARCH_MIN_LENGTH } from '../../../contracts/console-api.ts';
import type { ConsoleApi } from '../../../contracts/console-api.ts';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { refusalKey } from '../console-client.ts';
import { PersonDetail } from './PersonDetail.tsx';

export function PeopleSection({ api }: { readonly api: ConsoleApi }): ReactNode {
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const [searched, setSearched] = useState('');
  const [found, setFound] = useState<PersonLookup | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [openCardId, setOpenCardId] = useState<string | null>(null);

  const search = async (text: string): Promise<void> => {
    const q = text.trim();
    if (q.length < SEARCH_MIN_LENGTH) return setProblem(t('console.search.tooShort'));
    const answer = await api.searchPeople(q);
    if (!answer.ok) return setProblem(t(refusalKey(answer.error)));
    setProblem(null);
    setSearched(q);
    setFound(answer.value);
  };
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    setOpenCardId(null);
    void search(query);
  };
  const person: PersonRecord | null = found?.people.find((p) => p.cardId === openCardId) ?? null;
  if (person !== null)
    return (
      <PersonDetail
        api={api}
        person={person}
        onBack={() => setOpenCardId(null)}
        onChanged={() => void search(searched)}
      />
    );
  return (
    <ScreenFrame title={t('console.search.title')}>
      <form className="console__search" role="search" onSubmit={onSubmit}>
        <label htmlFor="console-search">{t('console.search.label')}</label>
        <div className="console__search-row">
          <input
            id="console-search"
            className="console__input"
            type="search"
            autoComplete="off"
            spellCheck={false}
            maxLength={SEARCH_MAX_LENGTH}
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
          <button type="submit" className="button button--primary">
            {t('console.search.button')}
          </button>
        </div>
      </form>
      {problem === null ? null : (
        <p className="notice notice--problem" role="alert">
          {problem}
        </p>
      )}
      {found === null ? null : (
        <div role="status">
          {found.people.length === 0 ? (
            <p className="lead">{t('console.search.none', { query: searched })}</p>
          ) : (
            <p className="lead">{t('console.search.results', { count: found.people.length })}</p>
          )}
          {found.truncated ? <p className="notice notice--info">{t('console.search.truncated')}</p> : null}
        </div>
      )}
      {found === null || found.people.length === 0 ? null : (
        <ul className="console__results">
          {found.people.map((p) => (
            <li key={p.cardId}>
              <button
                type="button"
                className="button button--secondary console__result"
                aria-label={t('console.search.open', { name: p.name })}
                onClick={() => setOpenCardId(p.cardId)}
              >
                <bdi className="console__result-name">{p.name}</bdi>
                <span className="muted">
                  {t('console.person.credentials')}: {p.credentials.length}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </ScreenFrame>
  );
}
