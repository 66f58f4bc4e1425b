"""Words of six more languages read as the English words the model learned.

The model is trained on English (CrisisLexT26 is mostly English, Davidson and
our own examples are), so a German or Italian complaint reaches it as words it
has never seen: "Gasleck", "alluvione", "verletzt" weigh nothing. This
glossary, written by us, maps the words that matter for judging a message
(danger, harm, loss, the law, money, data, abuse, thanks, and the negators the
guards need: "nessuno è rimasto ferito" is "nobody … injured") in the
languages of the bundled acknowledgments — German, Spanish, French, Italian,
Portuguese and Dutch — to one English word each, before features are made. The
word shown in reasons stays the one the sender wrote.

A word that is also an English word ("brand", "gift", "once", "sin", "fine")
is left out: it would change how English is read. `tests/classifier/
test_glossary.py` checks that against VADER's English lexicon and a list of
false friends.
"""

from __future__ import annotations

import re
import unicodedata

# english: the words of the six languages read as it (inflected forms listed; accents also matched without)
_ENTRIES = """
fire: feuer brände brennt brannte gebrannt fuego incendio incendios incendie incendies feu incendi fiamme
      fogo incêndio incêndios vuur
flames: flammen flammes chamas vlammen
burning: brennend ardiendo quemando brûle brucia bruciando queimando
burned: verbrannt quemado quemada quemados quemó brûlé brûlée bruciato bruciata queimado queimou verbrand
smoke: rauch humo fumée fumo fumaça
explosion: explosion explosión explosiones esplosione esplosioni explosão explosões ontploffing
exploded: explodiert explotó explosó explosé esploso esplosa explodiu ontploft
gas: gaz gasleck gasgeruch gasolina
leak: leck leckt fuga fugas fuite fuites perdita vazamento lek lekkage
flood: hochwasser überschwemmung überflutung flut inundación inundaciones inondation inondations crue
      alluvione alluvioni esondazione inundação inundações enchente enchentes overstroming
flooded: überflutet inundado inundada inundados inundé inondé inondée allagato allagata allagati alagado
      alagada overstroomd
earthquake: erdbeben terremoto terremotos sismo séisme tremblement aardbeving
landslide: erdrutsch deslizamiento derrumbe glissement frana frane deslizamento aardverschuiving
storm: sturm unwetter tormenta tempête tempesta temporale tempestade
collapsed: eingestürzt derrumbó colapsó effondré crollato crollata crollo desabou ingestort
trapped: eingeschlossen atrapado atrapada atrapados piégé piégés intrappolato intrappolati
      bloccati opgesloten
injured: verletzt verletzte verletzten herido herida heridos heridas blessé blessée ferito ferita
      feriti ferite ferido ferida feridos gewond gewonden
injury: verletzung verletzungen lesión lesiones blessure blessures lesão lesões letsel
dead: tote toten muerto muerta muertos muertas mort morte morts mortes morto morti mortos dood doden
died: starb gestorben murió fallecido fallecida fallecidos décédé décédée deceduto deceduti morreu
      overleden
killed: getötet asesinado asesinados tué tués ucciso uccisi matou gedood
victims: opfer víctima víctimas victime victimes vittima vittime vítima vítimas slachtoffer slachtoffers
missing: vermisst vermisste desaparecido desaparecida desaparecidos disparu disparus dispersi disperso
      vermist
survivors: überlebende sobrevivientes survivants sopravvissuti sobreviventes overlevenden
rescue: rettung rescate sauvetage soccorso soccorsi salvataggio resgate
evacuated: evakuiert evacuado evacuados évacué évacués evacuato evacuati geëvacueerd
evacuation: evakuierung evacuación évacuation evacuazione evacuação evacuatie
emergency: notfall notruf emergencia urgencia urgence emergenza emergência noodgeval
danger: gefahr peligro danger pericolo perigo gevaar
dangerous: gefährlich peligroso peligrosa dangereux dangereuse pericoloso pericolosa perigoso perigosa
      gevaarlijk
ambulance: krankenwagen rettungswagen ambulancia ambulanza ambulância
hospital: krankenhaus klinik hôpital ospedale ziekenhuis
firefighters: feuerwehr bomberos pompiers vigili bombeiros brandweer
police: polizei policía policia polizia politie
shock: stromschlag descarga fulminato choque schok
poisoning: vergiftung intoxicación intossicazione intoxicação vergiftiging
poisoned: vergiftet intoxicado envenenado intoxiqué avvelenato intossicato vergiftigd
sick: krank enfermo enferma malade malato malata doente ziek
blood: blut sangre sangue bloed
child: niños hijo hija enfant enfants bambino bambina bambini criança crianças
      filho filha kinderen
damage: schaden schäden daño daños dégâts dommages danni dano danos schade
damaged: beschädigt dañado dañada endommagé abîmé abîmée danneggiato danneggiata danificado beschadigd
destroyed: zerstört destruido destruida destruidas détruit détruite distrutto distrutta distrutte
      destruído vernietigd verwoest
homes: häuser viviendas casas maisons huizen woningen
help: hilfe ayuda aiuto ajuda hulp socorro
urgent: dringend urgente urgentes
threat: drohung amenaza minaccia ameaça dreiging
broken: kaputt defekt roto rotos cassé cassée rotto rotta guasto quebrado quebrada stuk kapot
late: verspätet verspätung retraso retrasado tardi ritardo atraso atrasado vertraagd
never: nie niemals nunca jamás jamais mai nooit
refund: rückerstattung erstattung reembolso devolución remboursement remboursé rembourser rimborso terugbetaling
charged: abgebucht cobrado cobraron débité addebitato afgeschreven
money: geld dinero soldi dinheiro
bill: rechnung factura facture bolletta fattura fatura rekening
complaint: beschwerde reklamation queja reclamación plainte reclamo reclamação klacht
lawyer: anwalt rechtsanwalt abogado avocat avvocato advogado advocaat
court: gericht tribunale rechtbank
fraud: betrug fraude frode oplichting
stolen: gestohlen robado robada rubato rubata roubado gestolen
data: daten datos données dati dados gegevens
password: passwort kennwort contraseña password senha wachtwoord
hacked: gehackt hackeado hackerato
harassment: belästigung acoso harcèlement molestie assédio intimidatie
racist: rassistisch racista raciste razzista racistisch
threatened: bedroht amenazado amenazada minacciato ameaçado bedreigd
thanks: danke gracias merci grazie obrigado obrigada bedankt
thank: danken agradecer remercier ringraziare bedanken
great: fantastico ótimo geweldig
love: liebe encanta adoro
prayers: gebete oraciones prières preghiere orações gebeden
pray: beten rezar rezamos prier pregare preghiamo orar
donate: spenden donar donad donare doneer
donations: donaciones donazioni doações donaties
not: nicht non pas não niet
no: kein keine keinen keiner ningún ninguna aucun aucune nessun nessuna nenhum nenhuma geen
nobody: niemand nadie nessuno ninguém
nothing: nichts nada rien niente nulla
without: ohne senza sem zonder
"""


def _fold(word: str) -> str:
    """The word without its accents, as phones and hurried typists write it."""
    return "".join(char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char))


def _glossary() -> dict[str, str]:
    table: dict[str, str] = {}
    for entry in re.split(r"\n(?=\S)", _ENTRIES.strip()):  # an indented line continues the entry above
        english, _, words = entry.partition(":")
        for word in words.split():
            for form in (word, _fold(word)):
                if form != english:
                    table.setdefault(form, english)
    return table


GLOSSARY = _glossary()
