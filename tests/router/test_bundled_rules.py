"""The bundled rules (config/default.yaml) through the router: what they page, and the near misses they must not."""

from __future__ import annotations

import pytest

from frontdesk.settings import load_settings
from tests.router.judging import default_router, message


@pytest.mark.parametrize("text", ["The smoking area was packed", "The new menu is fire, love it",
                                  "Is there a smoking area at the venue?"])
def test_fire_and_smoking_words_that_are_no_hazard_page_nobody_on_the_default_rules(text):
    settings = load_settings(environ={})
    result = default_router().classify(message(text))
    assert result.urgency not in settings.router.page_urgencies and "safety" not in result.categories


@pytest.mark.parametrize("text", ["My dryer caught fire", "The charger started smoking on my desk",
                                  "There was smoke coming out of the oven"])
def test_a_fire_or_smoke_hazard_is_paged_on_the_default_rules(text):
    settings = load_settings(environ={})
    result = default_router().classify(message(text))
    assert result.urgency in settings.router.page_urgencies and result.categories[0] == "safety"
    assert result.reasons[0].source == "rule" and result.reasons[0].name == "safety.fire"


@pytest.mark.parametrize(("rule", "text"), [
    ("safety.fire", "Im Keller brennt es nicht mehr nur ein bisschen: es brennt, überall Rauchentwicklung!"),
    ("safety.fire", "La stufa che ci avete venduto ha preso fuoco in salotto"),
    ("safety.fire", "Sale humo del enchufe desde que vino su técnico"),
    ("safety.fire", "Le radiateur a pris feu cette nuit"),
    ("safety.fire", "A geladeira pegou fogo na cozinha"),
    ("safety.hazard", "Seit gestern Gasgeruch im Treppenhaus, der Hausmeister reagiert nicht"),
    ("safety.hazard", "Mi hijo está en urgencias por su producto"),
    ("safety.hazard", "Ma fille a perdu connaissance après avoir mangé votre plat"),
    ("safety.hazard", "Mio padre è al pronto soccorso dopo la vostra consegna"),
    ("legal.threat", "Mein Anwalt wird Sie verklagen"),
    ("legal.threat", "Voy a demandarles, ya hablé con mi abogado"),
    ("legal.threat", "Mon avocat vous enverra une mise en demeure"),
    ("legal.threat", "Il mio avvocato vi farà causa"),
    ("legal.threat", "Vou processar vocês, meu advogado já sabe"),
    ("regulatory.authority", "J'ai saisi la CNIL"),
    ("regulatory.authority", "Ho segnalato tutto al Garante della privacy"),
    ("regulatory.authority", "Vou reclamar no Procon"),
    ("harassment.discrimination", "Der Verkäufer hat mich rassistisch beleidigt"),
    ("harassment.discrimination", "El encargado acosa a las cajeras"),
    ("financial.fraud", "C'est une arnaque, 400 euros prélevés"),
    ("financial.fraud", "Questa è una truffa"),
    ("financial.fraud", "Me estafaron con una tarjeta regalo falsa"),
    ("safety.fire", "De wasdroger staat in brand en de rookmelder gaat af"),
    ("safety.hazard", "Mijn zoon ligt in het ziekenhuis na jullie product"),
    ("legal.threat", "Mijn advocaat start een rechtszaak"),
    ("financial.fraud", "Dit is oplichting, 300 euro onterecht afgeschreven"),
    ("safety.threat", "Ich weiß, wo Sie wohnen. Überlegen Sie sich das gut."),
    ("privacy.exposure", "In meinem Konto sehe ich die Daten anderer Kunden"),
    ("privacy.exposure", "Hubo una filtración de datos y nadie nos avisó"),
    ("safety.hazard", "Mon fils a avalé une pile de votre télécommande"),
    ("safety.threat", "Sé dónde vive su gerente"),
    ("safety.threat", "Je sais où vous habitez, vous allez le regretter"),
    ("safety.hazard", "Die Apotheke hat mir das falsche Medikament gegeben"),
    ("safety.hazard", "Había vidrio en la comida de mi hijo"),
    ("safety.hazard", "Mio figlio ha avuto una reazione allergica al vostro biscotto"),
    ("harassment.discrimination", "Le vendeur m'a crié : retourne dans ton pays"),
    ("harassment.discrimination", "De bezorger riep: ga terug naar je eigen land"),
])
def test_the_default_rules_name_their_words_in_six_more_languages(rule, text):
    result = default_router().classify(message(text))
    assert result.reasons[0].source == "rule" and result.reasons[0].name == rule
    assert result.urgency in load_settings(environ={}).router.page_urgencies


@pytest.mark.parametrize("text", ["Strong gas smell in the flat since your engineer left",
                                  "I can smell gas in the kitchen after the hob was fitted",
                                  "The new boiler is leaking gas",
                                  "It smells of gas near the meter you replaced"])
def test_the_default_rules_know_how_people_say_they_smell_gas(text):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency) == ("safety.hazard", "critical")


@pytest.mark.parametrize("text", [
    "@acme I will come to your office and make you pay for this, watch your back",
    "Refund me or I'll find out where your manager lives, you’ve been warned",
    "I'm going to come down there and hurt whoever is on the desk",
    "If this isn't fixed today I will kill you all",
])
def test_a_threat_of_violence_is_critical_on_the_default_rules(text):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency, result.categories[0]) == ("safety.threat", "critical", "safety")


@pytest.mark.parametrize("text", ["If I carry this box up the stairs I'll hurt my back, please deliver it inside",
                                  "This delay is killing me, where is my order?",
                                  "I know where your shop is, I'll bring it back tomorrow",
                                  "Your prices will kill your business, just saying",
                                  "I'll shoot you an email with the order number tomorrow"])
def test_words_of_violence_that_threaten_nobody_are_no_threat(text):
    result = default_router().classify(message(text))
    assert "safety.threat" not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize(("text", "rule", "category"), [
    ("Your pharmacy gave me the wrong medication and I took it for three days", "safety.hazard", "safety"),
    ("I found glass in the baby food jar I bought yesterday", "safety.hazard", "safety"),
    ("My daughter had an allergic reaction to the 'nut free' cake", "safety.hazard", "safety"),
    ("@acme my toddler swallowed a button battery from your toy remote, we are at A&E now", "safety.hazard", "safety"),
    ("My son swallowed one of the magnets from your building set", "safety.hazard", "safety"),
    ("Your password reset page shows other customers' names and addresses", "privacy.exposure", "privacy"),
    ("I received someone else's bank statement in my online account", "privacy.exposure", "privacy"),
    ("Your store manager told me to go back to my own country", "harassment.discrimination", "harassment"),
    ("Your delivery driver insulted me and swore at me in front of my kids", "harassment.discrimination",
     "harassment"),
    ("Votre livreur m’a insultée devant mes enfants", "harassment.discrimination", "harassment"),
    ("Der Fahrer hat mich beschimpft", "harassment.discrimination", "harassment"),
])
def test_harm_the_model_is_known_to_miss_is_paged_on_the_default_rules(text, rule, category):
    result = default_router().classify(message(text))
    assert result.reasons[0].name == rule and category in result.categories
    assert result.urgency in load_settings(environ={}).router.page_urgencies


@pytest.mark.parametrize("text", ["I received another customer's order instead of mine",
                                  "My payment went into someone else's account",
                                  "The battery in my laptop swells up",
                                  "Where can I buy a button battery for the remote?",
                                  "You delivered the wrong tablets, I ordered the 10-inch ones",
                                  "The glass table top arrived scratched and a piece of glass is missing",
                                  "I felt insulted by your offer of a 5 euro voucher"])
def test_near_misses_of_those_phrases_fire_none_of_their_rules(text):
    result = default_router().classify(message(text))
    assert not ({"privacy.exposure", "safety.hazard", "harassment.discrimination"}
                & {reason.name for reason in result.reasons})


@pytest.mark.parametrize(("text", "rule", "urgency"), [
    ("The security guard grabbed me and pushed me out of the shop", "safety.assault", "critical"),
    ("The bailiff you sent pushed my mother and she fell", "safety.assault", "critical"),
    ("Your driver hit me with his van door and drove off", "safety.assault", "critical"),
    ("The bouncer kicked my son while he was on the floor", "safety.assault", "critical"),
    ("Your security man hit me in the face", "safety.assault", "critical"),
    ("A man threatened me with a knife outside your store and your staff did nothing", "safety.assault",
     "critical"),
    ("Der Fahrer hat mich geschlagen", "safety.assault", "critical"),
    ("El repartidor me empujó contra la puerta", "safety.assault", "critical"),
    ("Votre agent de sécurité m'a frappée", "safety.assault", "critical"),
    ("Il fattorino mi ha colpito con la porta del furgone", "safety.assault", "critical"),
    ("Your driver threatened me when I asked him to wait for a signature", "harassment.intimidation", "high"),
    ("Your collector keeps threatening me over a bill I already paid", "harassment.intimidation", "high"),
    ("Your agent attacked me verbally on the phone", "harassment.intimidation", "high"),
    ("Votre livreur m’a menacée devant chez moi", "harassment.intimidation", "high"),
    ("Il tecnico mi ha minacciato quando ho chiesto la ricevuta", "harassment.intimidation", "high"),
    ("De monteur heeft me bedreigd", "harassment.intimidation", "high"),
])
def test_violence_and_threats_against_a_customer_are_paged_on_the_default_rules(text, rule, urgency):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency) == (rule, urgency) and "harassment" in result.categories


@pytest.mark.parametrize("text", ["They hit me with a £40 late fee for a parcel that never came",
                                  "The salesman pushed me into a contract I did not want",
                                  "Please hit me up when the blue one is back in stock",
                                  "It only hit me at home that the charger was the wrong one",
                                  "Honestly man it hit me hard when I saw the bill",
                                  "Your app kicked me out three times while I was paying",
                                  "Ce qui m'a frappé, c'est la lenteur du service",
                                  "Mi ha colpito la gentilezza del vostro personale",
                                  "La factura me pegó un susto tremendo",
                                  "Me bateu uma saudade da loja antiga",
                                  "The storm hit my mum's street hardest, can you reschedule the delivery?",
                                  "Your ads keep attacking me online, every page I open",
                                  "My daughter pushed me to complain, the jacket fell apart in a week"])
def test_a_fee_a_sales_push_or_an_ad_is_no_assault(text):
    result = default_router().classify(message(text))
    assert "safety.assault" not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize(("text", "opt_out"), [("Stop contacting me about this offer", True),
                                             ("Do not text me again", True),
                                             # Calls are another channel: this one still hears back.
                                             ("Please stop calling me and fix my bill", False)])
def test_asking_not_to_be_contacted_is_an_opt_out_and_not_to_be_called_is_not(text, opt_out):
    assert default_router().classify(message(text)).opt_out is opt_out


def test_someone_who_already_unsubscribed_and_still_gets_mail_is_an_opt_out():
    result = default_router().classify(message("I keep getting your marketing texts even though I unsubscribed twice"))
    assert result.opt_out and "regulatory" in result.categories


@pytest.mark.parametrize("text", [
    "Praying for my brother, he is trapped under the rubble on 5th street, please send help",
    "My mum has been stuck in the lift at Tower B for 40 minutes and nobody answers the alarm",
    "Wir stecken seit einer halben Stunde im Aufzug fest",
    "Mi madre está atrapada en el ascensor del portal",
    "Ma fille est coincée dans l'ascenseur depuis une heure",
    "Mio figlio è bloccato nell’ascensore del vostro centro commerciale",
    "Minha avó está presa no elevador do prédio",
    "Mijn vader zit al een uur vast in de lift",
])
def test_someone_trapped_is_critical_on_the_default_rules(text):
    result = default_router().classify(message(text))
    assert (result.reasons[0].name, result.urgency, result.categories[0]) == ("safety.trapped", "critical", "safety")


@pytest.mark.parametrize("text", ["I feel trapped in this contract you sold me", "My refund is stuck in your system",
                                  "Der Kellner hat mir Kaffee über die Jacke verschüttet",
                                  "Ik ben bedolven onder het werk, maar mijn pakket is nog steeds niet bezorgd"])
def test_being_trapped_only_in_a_manner_of_speaking_is_no_trapped_person(text):
    result = default_router().classify(message(text))
    assert "safety.trapped" not in [reason.name for reason in result.reasons]


@pytest.mark.parametrize("text", ["L'avocat était pourri et le pain rassis",  # the avocado, not a lawyer
                                  "J'ai attendu au feu rouge devant votre magasin pendant dix minutes",
                                  "La salsa se cocina a fuego lento, pero la mía llegó fría",
                                  "Isso vai demandar tempo, mas meu pedido atrasou demais",
                                  "Ich habe keine E-Mails mehr bekommen, seit ich umgezogen bin",
                                  "I have no qualms about the price, but the parcel was late",
                                  "Your brand used to stand for quality, and my order is late again"])
def test_words_that_only_look_like_those_fire_no_rule(text):
    result = default_router().classify(message(text))
    assert [reason for reason in result.reasons if reason.source == "rule"] == [] and not result.opt_out


@pytest.mark.parametrize("text", ["Bitte keine Werbung mehr an diese Adresse", "Dejen de enviarme correos",
                                  "Je veux me désinscrire de votre liste", "Cancellatemi dalla newsletter",
                                  "Parem de me mandar mensagens", "Schrijf me uit van de nieuwsbrief"])
def test_an_unsubscribe_demand_in_another_language_is_an_opt_out(text):
    result = default_router().classify(message(text))
    assert result.opt_out and "regulatory" in result.categories


@pytest.mark.parametrize("text", ["Ich habe mich nie angemeldet und bekomme jeden Tag Ihren Newsletter",
                                  "Nunca me registré en su web y me llegan correos", "Je ne me suis jamais inscrit",
                                  "Non mi sono mai iscritto a questa lista", "Nunca me cadastrei nesse site"])
def test_unwanted_mail_in_another_language_is_a_regulatory_complaint(text):
    result = default_router().classify(message(text))
    assert result.reasons[0].name == "regulatory.spam" and "regulatory" in result.categories
